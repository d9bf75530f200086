#!/usr/bin/env python3
"""Writes the hostile uploads of issue 12 (item 3) into a directory, for
run.sh: CSV files of empty rows, of a million rows and of one 64 MiB header
line, an XLSX workbook whose sheet expands to 0.95 GiB, and a small one with
a 1000 MiB junk member. Deflate makes the workbooks a few MB."""
import io, os, sys, zipfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

write("empty30k.csv", b"\xe5\x8d\x95\xe4\xbd\x8d,\xe6\x9c\x9f\xe9\x97\xb4\n" + b"".join(b"u%05d,2025H1\n" % i for i in range(30000)))
write("rows1m.csv", "单位,期间\n".encode() + b"".join(b"u%07d,2025H1\n" % i for i in range(1000000)))
write("header64m.csv", "单位,期间".encode() + b",a" * 33_500_000 + b"\n")

PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
HEAD = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>单位</t></is></c><c r="B1" t="inlineStr"><is><t>期间</t></is></c><c r="C1" t="inlineStr"><is><t>金牌数</t></is></c></row>'
ROW = '<row><c t="inlineStr"><is><t>甲</t></is></c><c t="inlineStr"><is><t>2025H1</t></is></c><c><v>1</v></c></row>'
TAIL = '</sheetData></worksheet>'

def workbook(name, sheet_rows, junk_bytes):
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for n, text in PARTS.items():
            z.writestr(n, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as w:
            w.write(HEAD.encode())
            chunk = (ROW * 10000).encode()
            for _ in range(sheet_rows // 10000):
                w.write(chunk)
            w.write(TAIL.encode())
        if junk_bytes:
            with z.open("xl/media/junk.bin", "w", force_zip64=True) as w:
                block = bytes(1 << 20)
                for _ in range(junk_bytes >> 20):
                    w.write(block)

row = len(ROW.encode())
workbook("sheet095g.xlsx", int(0.95 * (1 << 30)) // row // 10000 * 10000, 0)
workbook("junk1000m.xlsx", 10000, 1000 << 20)
