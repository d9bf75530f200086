package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/extract"
	"github.com/figcheck/figcheck/rules"
)

// maxTextBytes bounds a report read from a file or stdin.
const maxTextBytes = 16 << 20

func runExtract(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("extract", stderr)
	dir := fs.String("rules", configs.DefaultRulesDir, "rules `directory`")
	form := fs.String("form", "", "form `id` (required)")
	format := fs.String("format", "text", "output format: text or json")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || *form == "" || (*format != "text" && *format != "json") {
		fmt.Fprintln(stderr, "usage: figcheck extract --form ID [--rules DIR] [--format text|json] FILE|-")
		return exitBadArgs
	}
	text, err := readText(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck extract: %v\n", err)
		return exitBadArgs
	}
	rs, err := configs.LoadRules(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck extract: loading rules:\n%v\n", err)
		return exitBadArgs
	}
	f, err := checker.FormOrOnly(rs, *form)
	if err != nil {
		fmt.Fprintf(stderr, "figcheck extract: %v\n", err)
		return exitBadArgs
	}
	res := extract.Extract(f, text)
	if *format == "json" {
		if err := writeJSON(stdout, res); err != nil {
			fmt.Fprintf(stderr, "figcheck extract: %v\n", err)
			return exitBadArgs
		}
	} else {
		writeExtraction(stdout, f, res)
	}
	// Leftovers and ambiguities need a person: a script sees exit 1.
	if len(res.Placeholders) > 0 || len(res.Ambiguous) > 0 {
		return exitFail
	}
	return exitOK
}

// readText reads a report: a file, or stdin for "-". A Word document
// (.docx, told by its zip signature) gives the text of its paragraphs and
// tables.
func readText(name string, stdin io.Reader) (string, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxDocxBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		if len(b) > maxDocxBytes {
			return "", fmt.Errorf("%s: larger than %d bytes", name, maxDocxBytes)
		}
		text, err := extract.ReadDocx(bytes.NewReader(b), int64(len(b)), extract.DocxLimits{XML: 8 * maxDocxBytes, Text: maxTextBytes})
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return text, nil
	}
	if len(b) > maxTextBytes {
		return "", fmt.Errorf("%s: larger than %d bytes", name, maxTextBytes)
	}
	return strings.TrimPrefix(string(b), "\ufeff"), nil
}

// maxDocxBytes bounds a Word document read by the commands.
const maxDocxBytes = 16 << 20

// readTextSubmission makes a submission of form from report text; the
// figures are filled by extract.FromText once the form is loaded.
func readTextSubmission(name string, stdin io.Reader, form string) (*checker.Submission, error) {
	if form == "" {
		return nil, errors.New("--text needs --form")
	}
	text, err := readText(name, stdin)
	if err != nil {
		return nil, err
	}
	return &checker.Submission{Form: form, Text: text}, nil
}

// checkOutput is a check result with the extraction it was made from.
type checkOutput struct {
	*checker.Result
	Extraction *extract.Result `json:"extraction,omitempty"`
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeExtraction prints what was found for people.
func writeExtraction(w io.Writer, f *rules.Form, res *extract.Result) {
	fmt.Fprintf(w, "从正文中找到 %d 个数字，未填写的占位符 %d 处，未找到 %d 项，有歧义 %d 项\n",
		len(res.Figures), len(res.Placeholders), len(res.Missing), len(res.Ambiguous))
	name := func(id string) string {
		if ind, ok := f.Indicator(id); ok {
			return ind.Name
		}
		return "未对应指标"
	}
	if len(res.Figures) > 0 {
		fmt.Fprintln(w, "\n数字：")
		for _, ind := range f.Indicators {
			fig, ok := res.Figures[ind.ID]
			if !ok {
				continue
			}
			note := ""
			if fig.Note != "" {
				note = "（" + fig.Note + "）"
			}
			fmt.Fprintf(w, "  %-28s %s = %v %s%s  「%s」\n", ind.ID, ind.Name, fig.Value, ind.Unit, note, fig.Snippet)
		}
	}
	if len(res.Placeholders) > 0 {
		fmt.Fprintln(w, "\n未填写的占位符：")
		for _, p := range res.Placeholders {
			fmt.Fprintf(w, "  第 %d 字  %s  「%s」\n", p.Offset+1, name(p.ID), p.Snippet)
		}
	}
	if len(res.Ambiguous) > 0 {
		fmt.Fprintln(w, "\n有歧义（未采用）：")
		for _, a := range res.Ambiguous {
			var vals []string
			for _, c := range a.Candidates {
				vals = append(vals, fmt.Sprintf("%v「%s」", c.Value, c.Snippet))
			}
			fmt.Fprintf(w, "  %s %s：%s\n", a.ID, name(a.ID), strings.Join(vals, "；"))
		}
	}
	if len(res.Missing) > 0 {
		fmt.Fprintln(w, "\n正文中未找到：")
		for _, id := range res.Missing {
			fmt.Fprintf(w, "  %s %s\n", id, name(id))
		}
	}
}
