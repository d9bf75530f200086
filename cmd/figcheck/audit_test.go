package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/audit"
	"github.com/xuri/excelize/v2"
)

func auditCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"audit", "--rules=../../configs/forms"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAuditCommand(t *testing.T) {
	fixture := "../../audit/testdata/batch_gb18030.csv"
	// Flags after the file work too; the fixture has a failing row and
	// input problems: exit 1.
	code, out, errOut := auditCLI(t, "", fixture, "--format", "json")
	if code != exitFail {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var rep struct {
		Summary struct{ Rows, Problems int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Summary.Rows != 4 || rep.Summary.Problems != 4 {
		t.Fatalf("report %+v, %v", rep.Summary, err)
	}

	clean := "单位,期间,金牌数,参赛项目数\n东区,2025H1,3,8\n"
	code, out, _ = auditCLI(t, clean, "--form", "edu_sports_halfyear", "--input", "csv", "-")
	if code != exitFail || !strings.Contains(out, "行数 1") {
		// Missing required figures make the row fail.
		t.Errorf("stdin: exit %d, output %s", code, out)
	}

	dir := t.TempDir()
	xlsx := filepath.Join(dir, "r.xlsx")
	if code, _, errOut := auditCLI(t, "", "--format=xlsx", "-o", xlsx, fixture); code != exitFail {
		t.Fatalf("xlsx: exit %d %s", code, errOut)
	}
	x, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if len(x.GetSheetList()) != len(audit.Sheets) {
		t.Errorf("sheets %v", x.GetSheetList())
	}

	for _, c := range []struct {
		name string
		args []string
	}{
		{"no file", nil},
		{"bad format", []string{"--format", "pdf", fixture}},
		{"missing file", []string{filepath.Join(dir, "nope.csv")}},
		{"unknown form", []string{"--form", "nope", fixture}},
		{"unknown per", []string{"--per", "nope", fixture}},
		{"bad encoding", []string{"--encoding", "latin1", fixture}},
	} {
		if code, _, _ := auditCLI(t, "", c.args...); code != exitBadArgs {
			t.Errorf("%s: exit %d, want %d", c.name, code, exitBadArgs)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := auditCLI(t, "", filepath.Join(dir, "empty.csv")); code != exitBadArgs || !strings.Contains(errOut, "empty") {
		t.Errorf("empty file: exit %d, %s", code, errOut)
	}
}
