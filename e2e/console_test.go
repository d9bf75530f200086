package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// css selects the first element matching a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// openUnitPage loads the unit page and waits until its form is built.
func openUnitPage(s *session, base string) {
	s.t.Helper()
	s.step("open unit page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css(`body[data-ready="1"]`)),
		chromedp.WaitVisible(css(`#f-gold_medals`)),
	)
}

// pasteColumn pastes "name<TAB>value" lines into the first figure, as a
// unit copying two columns out of Excel does.
func pasteColumn(s *session, figures map[string]string, names map[string]string) {
	s.t.Helper()
	var b strings.Builder
	for id, v := range figures {
		fmt.Fprintf(&b, "%s\t%s\r\n", names[id], v)
	}
	js := fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.setData("text/plain", %q);
		const input = document.querySelector("#f-party_study_sessions");
		input.focus();
		input.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
		return Array.from(document.querySelectorAll("#sections input[data-id]")).filter(i => i.value !== "").length;
	})()`, b.String())
	if n := run(s, "paste figures from Excel", chromedp.Evaluate[int](js)); n != len(figures) {
		s.t.Fatalf("%d figures filled by the paste, want %d", n, len(figures))
	}
}

// indicatorNames maps ids to the Chinese names the page shows.
func indicatorNames(t *testing.T, base string) map[string]string {
	t.Helper()
	resp, err := http.Get(base + "/v1/forms/edu_sports_halfyear")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var form struct {
		Indicators []struct{ ID, Name string } `json:"indicators"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&form); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ind := range form.Indicators {
		out[ind.ID] = ind.Name
	}
	return out
}

// allowDownloads makes the browser save downloads into dir.
func allowDownloads(dir string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		})
		return err
	})
}

// waitFile waits for a download to be complete and returns its content.
func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			t.Fatalf("%s was not downloaded (the folder has %v)", path, entries)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// typeInto replaces a field's value by typing, as a person does.
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Focus(css(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).select()`, sel))(ctx, t)
			return err
		}),
		chromedp.KeyEvent(kb.Delete),
		chromedp.SendKeys(css(sel), text),
	)
}

func textOf(s *session, sel string) string {
	s.t.Helper()
	return run(s, "read "+sel, chromedp.Text(css(sel), chromedp.NodeReady))
}

func valueOf(s *session, sel string) string {
	s.t.Helper()
	return run(s, "value of "+sel, chromedp.Value(css(sel)))
}

func evalBool(s *session, name, js string) bool {
	s.t.Helper()
	return run(s, name, chromedp.Evaluate[bool](js))
}

// TestUnitViolationBesideField: fill every figure, type one that breaks a
// rule, check, and see the violation beside that field and not elsewhere.
func TestUnitViolationBesideField(t *testing.T) {
	base := startServer(t)
	figures := filledFigures(t)
	names := indicatorNames(t, base)
	for _, vp := range screens {
		t.Run(vp.name, func(t *testing.T) {
			s := newSession(t, vp.vp)
			openUnitPage(s, base)
			pasteColumn(s, figures, names)
			s.step("type 19 gold medals", typeInto(`#f-gold_medals`, "19"))
			if v := valueOf(s, `#f-gold_medals`); v != "19" {
				t.Fatalf("gold medals field holds %q after typing 19", v)
			}
			s.step("check",
				chromedp.Click(css(vp.button)),
				chromedp.WaitVisible(css(`#verdict.fail`)),
			)
			if got := textOf(s, `#verdict`); !strings.Contains(got, "不通过") {
				t.Errorf("verdict %q, want 不通过", got)
			}
			beside := textOf(s, `#msgs-gold_medals`)
			if !strings.Contains(beside, "金牌19枚") || !strings.Contains(beside, "错误") {
				t.Errorf("beside gold_medals: %q, want the medal rule's error", beside)
			}
			if !evalBool(s, "gold row marked", `document.querySelector("#row-gold_medals").classList.contains("has-error")`) {
				t.Error("the gold medal row is not marked as an error")
			}
			if evalBool(s, "unrelated row clean", `document.querySelector("#msgs-party_seminars").children.length > 0`) {
				t.Error("a message stands beside 专题研讨次数, which the violated rule does not read")
			}
			// The other figures were pasted and kept: no builtin.required anywhere.
			if got := textOf(s, `#violations`); strings.Contains(got, "必填指标") {
				t.Errorf("pasted figures were lost: %q", got)
			}
			s.step("jump to the field", chromedp.Click(css(`#violations button.link`)))
			if active := run(s, "focused", chromedp.Evaluate[string](`document.activeElement.id`)); active != "f-events_entered" && active != "f-gold_medals" {
				t.Errorf("定位 focused %q, want a field the rule reads", active)
			}
			if evalBool(s, "overflow", `document.documentElement.scrollWidth > window.innerWidth + 1`) {
				t.Errorf("at %s the checked page is wider than the screen", vp.name)
			}
		})
	}
}

// TestUnitExplanationChangesVerdict: a warning asks for an explanation;
// writing one and checking again turns the verdict to pass and keeps what
// was typed.
func TestUnitExplanationChangesVerdict(t *testing.T) {
	base := startServer(t)
	s := newSession(t, desktop)
	openUnitPage(s, base)
	pasteColumn(s, filledFigures(t), indicatorNames(t, base))
	s.step("type a long trail", typeInto(`#f-fitness_trails_km`, "600"))
	s.step("check",
		chromedp.Click(css(`#check-btn`)),
		chromedp.WaitVisible(css(`#verdict.warn`)),
	)
	const box = `textarea[data-rule="sport.trails_length_unit"]`
	const explanation = "本期新建步道含两条跨区绿道,长度已核实"
	s.step("write the explanation",
		chromedp.WaitVisible(css(box)),
		chromedp.SendKeys(css(box), explanation),
	)
	s.step("check again",
		chromedp.Click(css(`#check-btn`)),
		chromedp.WaitVisible(css(`#verdict.pass`)),
	)
	kept, trail := valueOf(s, box), valueOf(s, `#f-fitness_trails_km`)
	if kept != explanation || trail != "600" {
		t.Errorf("after re-check: explanation %q, trail %q; want what was typed", kept, trail)
	}
	if !evalBool(s, "explained beside field", `!!document.querySelector("#msgs-fitness_trails_km .msg.explained")`) {
		t.Error("the explained warning is not shown as explained beside its field")
	}
	// The result, with the explanation, is saved as JSON.
	downloads := t.TempDir()
	s.step("save the result", allowDownloads(downloads), chromedp.Click(css(`#save-btn`)))
	var saved struct {
		Submission struct {
			Explanations map[string]string `json:"explanations"`
		} `json:"submission"`
		Result struct {
			Verdict string `json:"verdict"`
		} `json:"result"`
	}
	if err := json.Unmarshal(waitFile(t, filepath.Join(downloads, "figcheck.json")), &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Result.Verdict != "pass" || saved.Submission.Explanations["sport.trails_length_unit"] != explanation {
		t.Errorf("saved %+v", saved)
	}
}

// TestUnitReportText: pasting report text fills the table and highlights
// the placeholders with their indicators.
func TestUnitReportText(t *testing.T) {
	base := startServer(t)
	s := newSession(t, desktop)
	openUnitPage(s, base)
	raw, err := os.ReadFile(filepath.Join("..", "extract", "testdata", "filled_report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("获得金牌11枚", "获得金牌xx枚", "新建健身步道18.5公里", "新建健身步道xx公里").Replace(string(raw))
	text = "xx区" + text
	s.step("paste the report",
		chromedp.Click(css(`#text-panel > summary`)),
		chromedp.WaitVisible(css(`#report-text`)),
		chromedp.SetValue(css(`#report-text`), text),
		chromedp.Click(css(`#extract-btn`)),
		chromedp.WaitVisible(css(`#extract-out`)),
		chromedp.WaitVisible(css(`#highlighted mark.ph`)),
	)
	titles := run(s, "read the marks", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#highlighted mark.ph")).map(m => m.textContent + "|" + m.title)`))
	want := []string{"xx|未填写：未对应指标", "xx|未填写：新建健身步道长度", "xx|未填写：金牌数"}
	if strings.Join(titles, ",") != strings.Join(want, ",") {
		t.Errorf("placeholder marks %q, want %q", titles, want)
	}
	if silver, gold := valueOf(s, `#f-silver_medals`), valueOf(s, `#f-gold_medals`); silver != "9" || gold != "" {
		t.Errorf("silver %q gold %q: want 9 from the text and gold left empty", silver, gold)
	}
	if got := textOf(s, `#row-gold_medals .tags`); got != "正文未填" {
		t.Errorf("gold row tag %q, want 正文未填", got)
	}
	if got := textOf(s, `#extract-status`); !strings.Contains(got, "提取到 95 项数字") || !strings.Contains(got, "占位符 3 处") {
		t.Errorf("status %q", got)
	}
	// 去填写 takes the keyboard to the field to fill.
	s.step("go to the field", chromedp.Click(css(`#ph-list li:nth-child(3) button`)))
	if active := run(s, "focused", chromedp.Evaluate[string](`document.activeElement.id`)); active != "f-gold_medals" {
		t.Errorf("focus on %q, want f-gold_medals", active)
	}
}

// TestAuditUploadAndDownload uploads a CSV on the auditor page, sees the
// summary, and downloads the XLSX report.
func TestAuditUploadAndDownload(t *testing.T) {
	base := startServer(t)
	resp, err := http.Post(base+"/v1/audit?form=edu_sports_halfyear&format=json", "text/csv", strings.NewReader("unit,period\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Skip("POST /v1/audit is not served yet (issue 4): the auditor page is built against the API that issue describes")
	}
	chromium(t)
	dir := t.TempDir()
	head := []string{"单位", "期间"}
	row1 := []string{"青川区", "2025H1"}
	row2 := []string{"江北区", "2025H1"}
	for id, v := range filledFigures(t) {
		head = append(head, id)
		row1 = append(row1, v)
		if id == "gold_medals" {
			v = "40" // more golds than events entered: a violation
		}
		row2 = append(row2, v)
	}
	csvPath := filepath.Join(dir, "units.csv")
	csv := strings.Join(head, ",") + "\n" + strings.Join(row1, ",") + "\n" + strings.Join(row2, ",") + "\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	downloads := filepath.Join(dir, "downloads")
	s := newSession(t, desktop)
	s.step("open auditor page",
		allowDownloads(downloads),
		chromedp.Navigate(base+"/audit"),
		chromedp.WaitVisible(css(`body[data-ready="1"]`)),
	)
	s.step("upload the CSV",
		chromedp.SetUploadFiles(css(`#file`), []string{csvPath}),
		chromedp.Click(css(`#audit-btn`)),
		chromedp.WaitVisible(css(`#result`)),
	)
	if got := textOf(s, `#kpis`); !strings.Contains(got, "2\n行数") && !strings.Contains(got, "2行数") {
		t.Errorf("summary %q, want 2 rows", got)
	}
	s.step("open the detail", chromedp.Click(css(`#viol-detail > summary`)))
	if got := textOf(s, `#violations`); !strings.Contains(got, "江北区") || strings.Contains(got, "青川区") {
		t.Errorf("violations table %q: want 江北区's gold medals only", got)
	}
	s.step("download the XLSX", chromedp.Click(css(`#xlsx-btn`)))
	if b := waitFile(t, filepath.Join(downloads, "审核报告-units.xlsx")); len(b) < 100 || string(b[:2]) != "PK" {
		t.Errorf("downloaded report is %d bytes, not an XLSX", len(b))
	}
}

// TestLayout takes each page at 1280×800 and at a phone's width: nothing
// may overflow sideways, every control has a label, and the keyboard moves
// through the page in order.
func TestLayout(t *testing.T) {
	base := startServer(t)
	for _, vp := range screens {
		t.Run(vp.name, func(t *testing.T) {
			s := newSession(t, vp.vp)
			for _, page := range []string{"/", "/audit"} {
				s.step("open "+page, chromedp.Navigate(base+page), chromedp.WaitVisible(css(`body[data-ready="1"]`)))
				s.fullShot(vp.name + strings.ReplaceAll(page, "/", "_"))
				if evalBool(s, "overflow", `document.documentElement.scrollWidth > window.innerWidth + 1`) {
					t.Errorf("%s at %s: the page is wider than the screen", page, vp.name)
				}
				unlabeled := run(s, "labels", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input, select, textarea, button"))
					.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
					.map(e => e.id || e.outerHTML.slice(0, 60))`))
				if len(unlabeled) > 0 {
					t.Errorf("%s: controls without a label: %q", page, unlabeled)
				}
			}
		})
	}
	t.Run("keyboard", func(t *testing.T) {
		s := newSession(t, desktop)
		openUnitPage(s, base)
		var order []string
		for range 6 {
			s.step("tab", chromedp.KeyEvent(kb.Tab))
			order = append(order, run(s, "focused", chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.textContent.trim()`)))
		}
		if got := strings.Join(order, ","); !strings.HasPrefix(got, "跳到填报表,填报自查,审核,form,unit,period") {
			t.Errorf("focus order %s", got)
		}
		s.step("enter moves down", chromedp.Focus(css(`#f-gold_medals`)), chromedp.KeyEvent(kb.Enter))
		if active := run(s, "focused", chromedp.Evaluate[string](`document.activeElement.id`)); active != "f-silver_medals" {
			t.Errorf("Enter moved focus to %q, want f-silver_medals", active)
		}
	})
}
