package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/internal/docxtest"
)

const filledReport = "../../extract/testdata/filled_report.txt"

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExtractCommand(t *testing.T) {
	rules := "--rules=../../configs/forms"
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		contains []string
	}{
		{"filled report", "", []string{"extract", rules, "--form", "edu_sports_halfyear", filledReport}, exitOK,
			[]string{"从正文中找到 97 个数字，未填写的占位符 0 处", "gold_medals", "= 11 枚"}},
		{"placeholders exit 1", "获得金牌xx枚、银牌3枚。", []string{"extract", rules, "--form", "edu_sports_halfyear", "-"}, exitFail,
			[]string{"未填写的占位符 1 处", "金牌数", "silver_medals"}},
		{"json", "获得金牌2枚", []string{"extract", rules, "--form", "edu_sports_halfyear", "--format", "json", "-"}, exitOK,
			[]string{`"gold_medals": {`, `"value": 2`}},
		{"no form", "", []string{"extract", rules, filledReport}, exitBadArgs, []string{"usage"}},
		{"unknown form", "x", []string{"extract", rules, "--form", "nope", "-"}, exitBadArgs, []string{"unknown form"}},
		{"missing file", "", []string{"extract", rules, "--form", "edu_sports_halfyear", "no/such/file"}, exitBadArgs, []string{"no such file"}},
		{"check text passes", "", []string{"check", rules, "--text", "--form", "edu_sports_halfyear", filledReport}, exitOK,
			[]string{"从正文中找到 97 个数字", "通过"}},
		{"check text fails", "获得金牌9枚,参赛项目4项", []string{"check", rules, "--text", "--form", "edu_sports_halfyear", "-"}, exitFail,
			[]string{"不通过", "金牌9枚多于参赛项目4项"}},
		{"check text needs form", "x", []string{"check", rules, "--text", "-"}, exitBadArgs, []string{"--text needs --form"}},
		{"check JSON with text", `{"form":"edu_sports_halfyear","text":"获得金牌9枚,参赛项目4项"}`, []string{"check", rules, "-"}, exitFail,
			[]string{"金牌9枚多于参赛项目4项"}},
		{"check JSON with text and figures", `{"form":"edu_sports_halfyear","text":"金牌9枚","figures":{"gold_medals":1}}`, []string{"check", rules, "-"}, exitBadArgs,
			[]string{"not both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out+errOut, s) {
					t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", s, out, errOut)
				}
			}
		})
	}
}

func TestCheckTextJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "获得金牌9枚,参赛项目4项", "check", "--rules=../../configs/forms", "--text", "--form", "edu_sports_halfyear", "--format", "json", "-")
	if code != exitFail {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Verdict    string `json:"verdict"`
		Extraction struct {
			Figures map[string]struct {
				Value float64 `json:"value"`
			} `json:"figures"`
		} `json:"extraction"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Verdict != "fail" || res.Extraction.Figures["gold_medals"].Value != 9 || res.Extraction.Figures["events_entered"].Value != 4 {
		t.Errorf("%+v", res)
	}
}

// TestExtractDocx: the command reads a Word document's paragraphs and
// tables, and says what is wrong with a broken one.
func TestExtractDocx(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "报告.docx")
	doc := docxtest.Docx(docxtest.Para("获得金牌9枚。") + docxtest.Table([]string{"参赛项目", "4项"}))
	if err := os.WriteFile(good, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "坏.docx")
	if err := os.WriteFile(bad, doc[:len(doc)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	rules := "--rules=../../configs/forms"
	code, out, errOut := runCLI(t, "", "extract", rules, "--form", "edu_sports_halfyear", "--format", "json", good)
	if code != exitOK || !strings.Contains(out, `"gold_medals"`) || !strings.Contains(out, `"events_entered"`) {
		t.Errorf("exit %d, out %s, stderr %s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "extract", rules, "--form", "edu_sports_halfyear", bad)
	if code != exitBadArgs || !strings.Contains(errOut, "not a .docx document") {
		t.Errorf("broken .docx: exit %d, stderr %s", code, errOut)
	}
}
