package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/figcheck/figcheck/internal/docxtest"
)

// paste sends text to a field as a paste from Excel and returns the
// page's account of what it did.
func paste(s *session, sel, text string) string {
	s.t.Helper()
	js := fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.setData("text/plain", %q);
		const input = document.querySelector(%q);
		input.focus();
		input.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
		return document.querySelector("#paste-status").textContent;
	})()`, text, sel)
	return run(s, "paste into "+sel, chromedp.Evaluate[string](js))
}

// allowMissingStore lets the page log the error status the service answers
// /v1/submissions with when it keeps no submissions: the page then says
// so, and that is what the test reads.
func allowMissingStore(s *session, base string) {
	s.t.Helper()
	resp, err := http.Get(base + "/v1/submissions?form=edu_sports_halfyear")
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		s.allow(fmt.Sprintf("status of %d", resp.StatusCode))
	}
	// Submitting a failing check is refused with 422 either way.
	s.allow("status of 422")
}

// printAs shows the page as it prints with body[data-print=which] (the
// console sets it before window.print), or as on screen for "".
func printAs(which string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		media := "print"
		if which == "" {
			media = ""
		}
		if _, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
			return err
		}
		_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(w => { if (w) document.body.dataset.print = w; else delete document.body.dataset.print; })(%q)`, which))(ctx, t)
		return err
	})
}

// shown lists which of the selectors are displayed.
func shown(s *session, sels ...string) map[string]bool {
	s.t.Helper()
	js := fmt.Sprintf(`Object.fromEntries(%s.map(q => { const e = document.querySelector(q); return [q, !!e && e.getClientRects().length > 0]; }))`, jsList(sels))
	return run(s, "what is shown", chromedp.Evaluate[map[string]bool](js))
}

func jsList(ss []string) string {
	q := make([]string, len(ss))
	for i, x := range ss {
		q[i] = fmt.Sprintf("%q", x)
	}
	return "[" + strings.Join(q, ",") + "]"
}

func values(s *session, sels ...string) []string {
	s.t.Helper()
	out := make([]string, len(sels))
	for i, sel := range sels {
		out[i] = valueOf(s, sel)
	}
	return out
}

// TestUnitPaste: a block with its header row fills by name (and the 上期
// column), a row and a column of figures fill in order, and the page
// says what it did.
func TestUnitPaste(t *testing.T) {
	base := startServer(t)
	s := newSession(t, desktop)
	allowMissingStore(s, base)
	openUnitPage(s, base)

	said := paste(s, `#f-party_study_sessions`, "指标\t数值\t上期\r\n金牌数\t3\t2\r\n银牌数\t5枚\t4\r\n铜牌\t7\t6\r\n不存在的指标\t1\t1\r\n")
	if got := values(s, `#f-gold_medals`, `#f-silver_medals`, `#f-bronze_medals`, `#p-gold_medals`, `#p-bronze_medals`, `#f-party_study_sessions`); strings.Join(got, ",") != "3,5枚,7,2,6," {
		t.Errorf("header block: gold, silver, bronze, their last period and the field pasted into hold %q", got)
	}
	for _, w := range []string{"已按名称填入 3 项", "上期 3 项", "跳过表头 1 行", "未识别的名称 1 个（不存在的指标）"} {
		if !strings.Contains(said, w) {
			t.Errorf("header block: the page says %q, want %q in it", said, w)
		}
	}

	said = paste(s, `#f-gold_medals`, "11\t9\t14\r\n")
	if got := values(s, `#f-gold_medals`, `#f-silver_medals`, `#f-bronze_medals`); strings.Join(got, ",") != "11,9,14" {
		t.Errorf("row: medals %q, want 11,9,14", got)
	}
	if !strings.Contains(said, "已把一行 3 个数字从“金牌数”起依次填入") {
		t.Errorf("row: the page says %q", said)
	}

	said = paste(s, `#f-silver_medals`, "8\r\n12\r\n")
	if got := values(s, `#f-gold_medals`, `#f-silver_medals`, `#f-bronze_medals`); strings.Join(got, ",") != "11,8,12" {
		t.Errorf("column: medals %q, want 11,8,12", got)
	}
	if !strings.Contains(said, "已把一列 2 个数字从“银牌数”起向下填入") {
		t.Errorf("column: the page says %q", said)
	}

	said = paste(s, `#p-gold_medals`, "1\r\n2\r\n3\r\n")
	if got := values(s, `#p-gold_medals`, `#p-silver_medals`, `#p-bronze_medals`, `#f-gold_medals`); strings.Join(got, ",") != "1,2,3,11" {
		t.Errorf("column into 上期: %q", got)
	}
	if !strings.Contains(said, "向下填入上期") {
		t.Errorf("column into 上期: the page says %q", said)
	}

	// Without a store the page says where last period's figures come from.
	s.step("load last period",
		typeInto(`#unit`, "示例区"), typeInto(`#period`, "2025H1"),
		chromedp.Click(css(`#prev-load`)),
		chromedp.WaitVisible(css(`#prev-status`)),
	)
	s.step("wait for the answer", chromedp.Poll[chromedp.Void](`document.querySelector("#prev-status").textContent !== ""`))
	if got := textOf(s, `#prev-status`); !strings.Contains(got, "上期") || strings.Contains(got, "失败") {
		t.Errorf("last period without a store: %q", got)
	}
}

// TestUnitUnitSuffix: a figure typed with its own unit is the number; one
// typed with another unit is an error naming both.
func TestUnitUnitSuffix(t *testing.T) {
	base := startServer(t)
	s := newSession(t, desktop)
	openUnitPage(s, base)
	pasteColumn(s, filledFigures(t), indicatorNames(t, base))
	s.step("type figures with their units",
		typeInto(`#f-party_seminars`, "8次"),
		typeInto(`#f-fitness_trails_km`, "18.5公里"),
		typeInto(`#f-standardization_funds`, "12,600万元"),
		chromedp.Click(css(`#check-btn`)),
		chromedp.WaitVisible(css(`#verdict:not(.none)`)),
	)
	if got := textOf(s, `#violations`); strings.Contains(got, "不是有效数字") || strings.Contains(got, "单位") {
		t.Errorf("figures with their own units were refused: %q", got)
	}
	s.step("type a figure in yuan",
		typeInto(`#f-standardization_funds`, "3850元"),
		chromedp.Click(css(`#check-btn`)),
		chromedp.WaitVisible(css(`#row-standardization_funds.has-error`)),
	)
	beside := textOf(s, `#msgs-standardization_funds`)
	if !strings.Contains(beside, "“元”") || !strings.Contains(beside, "“万元”") {
		t.Errorf("beside the funds: %q, want an error naming 元 and 万元", beside)
	}
	if got := textOf(s, `#violations`); strings.Contains(got, "公里公里") || strings.Contains(got, "元万元") {
		t.Errorf("a unit written twice: %q", got)
	}
}

// annotatedReport is a report in a unit's own words with one figure that
// breaks a rule (more gold medals than events entered), one left as "xx",
// and the rest fine.
const annotatedReport = "北山区上半年参加自治区级青少年锦标赛4项，获得金牌9枚、银牌xx枚、铜牌3枚。\n" +
	"全区开展校园安全专项检查15次，检查学校64所。"

// TestUnitAnnotatedReport: after extraction and a check, each figure in
// the report is marked by its status, its problems show on tap and in a
// list; a Word document gives the same.
func TestUnitAnnotatedReport(t *testing.T) {
	base := startServer(t)
	for _, vp := range screens {
		t.Run(vp.name, func(t *testing.T) {
			s := newSession(t, vp.vp)
			openUnitPage(s, base)
			s.step("extract and check",
				chromedp.Click(css(`#text-panel > summary`)),
				chromedp.SetValue(css(`#report-text`), annotatedReport),
				chromedp.Click(css(`#extract-btn`)),
				chromedp.WaitVisible(css(`#highlighted mark.fig`)),
				chromedp.Click(css(`#check-btn`)),
				chromedp.WaitVisible(css(`#highlighted mark.bad`)),
			)
			marks := run(s, "read the marks", chromedp.Evaluate[[]string](
				`Array.from(document.querySelectorAll("#highlighted mark")).map(m => m.textContent + "|" + m.className)`))
			want := "4|bad,9|bad,xx|ph,3|ok,15|ok,64|ok"
			if got := strings.Join(marks, ","); got != want {
				t.Errorf("marks %s, want %s", got, want)
			}
			s.step("tap the gold medals", chromedp.Click(css(`#highlighted mark[data-id="gold_medals"]`)), chromedp.WaitVisible(css(`#mark-pop`)))
			if got := textOf(s, `#mark-pop`); !strings.Contains(got, "金牌数 = 9枚：有错误") || !strings.Contains(got, "金牌9枚") {
				t.Errorf("popup %q", got)
			}
			if got := textOf(s, `#annot-out`); !strings.Contains(got, "正文中有问题的数字（2）") || !strings.Contains(got, "金牌数（正文“9”）") {
				t.Errorf("problem list %q", got)
			}
			if evalBool(s, "overflow", `document.documentElement.scrollWidth > window.innerWidth + 1`) {
				t.Errorf("at %s the annotated page is wider than the screen", vp.name)
			}
			s.fullShot("annotated-" + vp.name)

			// Printed, the marked report and its problems are all there is.
			s.step("print the annotated report", printAs("annotated"))
			printed := map[string]bool{"#highlighted": true, "#annot-out": true, "#figures": false, ".side": false, "#report-text": false, "#annot-print": false}
			if got := shown(s, "#highlighted", "#annot-out", "#figures", ".side", "#report-text", "#annot-print"); fmt.Sprint(got) != fmt.Sprint(printed) {
				t.Errorf("printed annotated report shows %v, want %v", got, printed)
			}
			s.fullShot("annotated-print-" + vp.name)
			s.step("back to the screen", printAs(""))
		})
	}

	t.Run("docx", func(t *testing.T) {
		doc := docxtest.Docx(docxtest.Para("北山区上半年参加自治区级青少年锦标赛4项。") +
			docxtest.Table([]string{"奖牌", "数量"}, []string{"金牌", "9枚"}, []string{"铜牌", "3枚"}))
		path := filepath.Join(t.TempDir(), "北山区.docx")
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		s := newSession(t, desktop)
		openUnitPage(s, base)
		s.step("upload the Word document",
			chromedp.Click(css(`#text-panel > summary`)),
			chromedp.SetUploadFiles(css(`#docx-file`), []string{path}),
			chromedp.WaitVisible(css(`#highlighted mark.fig`)),
		)
		if got := valueOf(s, `#report-text`); !strings.Contains(got, "金牌\t9枚") {
			t.Errorf("the text read from the document: %q", got)
		}
		if got := values(s, `#f-gold_medals`, `#f-bronze_medals`, `#f-events_entered`); strings.Join(got, ",") != "9,3,4" {
			t.Errorf("figures from the document %q, want 9,3,4", got)
		}
	})
}

// TestUnitReceipt: after a check the 自查回执 shows the unit, the period,
// the verdict, the problems and the receipt's QR code, verifies, and fits
// a phone's screen; submitting without a store says so.
func TestUnitReceipt(t *testing.T) {
	base := startServer(t)
	for _, vp := range screens {
		t.Run(vp.name, func(t *testing.T) {
			s := newSession(t, vp.vp)
			allowMissingStore(s, base)
			openUnitPage(s, base)
			pasteColumn(s, filledFigures(t), indicatorNames(t, base))
			s.step("check",
				typeInto(`#unit`, "北山区教育体育局"), typeInto(`#period`, "2025H1"),
				typeInto(`#f-gold_medals`, "40"),
				chromedp.Click(css(vp.button)),
				chromedp.WaitVisible(css(`#verdict.fail`)),
			)
			if got := textOf(s, `#cross-status`); !strings.Contains(got, "跨期规则：运行 0 条") {
				t.Errorf("cross-period count %q", got)
			}
			s.step("open the receipt",
				chromedp.Click(css(`#receipt-btn`)),
				chromedp.WaitVisible(css(`#receipt-view`)),
				chromedp.Poll[chromedp.Void](`(document.querySelector("#receipt-qr").getAttribute("src") || "").startsWith("data:image/png")`),
			)
			facts := textOf(s, `#receipt-facts`)
			for _, w := range []string{"北山区教育体育局", "2025H1", "不通过", "回执编号"} {
				if !strings.Contains(facts, w) {
					t.Errorf("receipt %q lacks %q", facts, w)
				}
			}
			if got := textOf(s, `#receipt-problems`); !strings.Contains(got, "金牌40枚") {
				t.Errorf("receipt problems %q", got)
			}
			if !evalBool(s, "qr drawn", `document.querySelector("#receipt-qr").naturalWidth > 0`) {
				t.Error("the QR code image did not load")
			}
			s.step("verify", chromedp.Click(css(`#receipt-verify`)),
				chromedp.Poll[chromedp.Void](`document.querySelector("#receipt-status").textContent !== ""`))
			if got := textOf(s, `#receipt-status`); !strings.HasPrefix(got, "回执有效") {
				t.Errorf("verification: %q", got)
			}
			if evalBool(s, "overflow", `document.documentElement.scrollWidth > window.innerWidth + 1`) {
				t.Errorf("at %s the receipt is wider than the screen", vp.name)
			}
			s.step("show the receipt", chromedp.Evaluate[chromedp.Void](`document.querySelector("#receipt-view").scrollIntoView()`))
			s.fullShot("receipt-" + vp.name)
			s.step("print the receipt", printAs("receipt"))
			printed := map[string]bool{"#receipt-view": true, "#receipt-qr": true, ".layout": false, ".setup": false, "#receipt-print": false}
			if got := shown(s, "#receipt-view", "#receipt-qr", ".layout", ".setup", "#receipt-print"); fmt.Sprint(got) != fmt.Sprint(printed) {
				t.Errorf("printed receipt shows %v, want %v", got, printed)
			}
			s.fullShot("receipt-print-" + vp.name)
			s.step("back to the screen", printAs(""))

			s.step("submit", chromedp.Click(css(`#submit-btn`)),
				chromedp.Poll[chromedp.Void](`(t => t !== "" && !t.startsWith("正在"))(document.querySelector("#check-status").textContent)`))
			if got := textOf(s, `#check-status`); !strings.Contains(got, "服务未开启提交功能") && !strings.Contains(got, "未能提交") && !strings.Contains(got, "暂不可用") {
				t.Errorf("submitting a failing check: %q", got)
			}
		})
	}
}

// TestPhoneButtonLeavesUnitsFree: on a phone the 检查 button sits in a bar
// of its own; a field brought into view by focus is never under it.
func TestPhoneButtonLeavesUnitsFree(t *testing.T) {
	base := startServer(t)
	s := newSession(t, phone)
	openUnitPage(s, base)
	covered := run(s, "units under the button", chromedp.Evaluate[[]string](`(() => {
		const bar = document.querySelector(".fabbar");
		const out = [];
		for (const input of document.querySelectorAll("#sections input[data-id]")) {
			input.focus();
			const b = bar.getBoundingClientRect();
			for (const el of [input, input.parentElement.querySelector(".unit")]) {
				const r = el.getBoundingClientRect();
				if (r.bottom > b.top && r.top < b.bottom && r.right > b.left && r.left < b.right) out.push(input.id);
			}
		}
		return out;
	})()`))
	if len(covered) > 0 {
		t.Errorf("fields or units under the 检查 bar after focusing them: %v", covered)
	}
}
