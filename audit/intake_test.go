package audit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/checker"
	"github.com/xuri/excelize/v2"
)

// TestSameFiguresSameCheckID: the same figures get the check id
// POST /v1/check gives them whichever way they arrive — JSON 9 or 9.0, a
// CSV cell, an XLSX cell, an audit JSON or NDJSON row (issue 11).
func TestSameFiguresSameCheckID(t *testing.T) {
	f := shippedForm(t)
	var want string
	for _, figures := range []string{`{"gold_medals":9,"events_entered":4}`, `{"gold_medals":9.0,"events_entered":4.00}`, `{"events_entered":4e0,"gold_medals":90e-1}`} {
		sub, err := checker.DecodeSubmissionBytes([]byte(`{"form":"edu_sports_halfyear","unit":"东区","period":"2025H1","figures":` + figures + `}`))
		if err != nil {
			t.Fatal(err)
		}
		id := checker.CheckID(f, checker.SubmissionDigestFor(f, sub))
		if want == "" {
			want = id
		} else if id != want {
			t.Errorf("/v1/check with %s: check id %s, want %s", figures, id, want)
		}
	}
	x := excelize.NewFile()
	for i, r := range [][]any{{"单位", "期间", "金牌数", "参赛项目数"}, {"东区", "2025H1", 9, 4}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var xlsx bytes.Buffer
	if _, err := x.WriteTo(&xlsx); err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct{ format, data string }{
		{FormatCSV, "单位,期间,gold_medals,events_entered\n东区,2025H1,9,4\n"},
		{FormatCSV, "单位,期间,金牌数,参赛项目数\n东区,2025H1,9.0,4.0\n"},
		{FormatXLSX, xlsx.String()},
		{FormatJSON, `[{"unit":"东区","period":"2025H1","gold_medals":9,"events_entered":4}]`},
		{FormatNDJSON, `{"unit":"东区","period":"2025H1","figures":{"金牌数":9.0,"events_entered":4}}` + "\n"},
	} {
		rep := auditBytes(t, []byte(in.data), in.format, Options{})
		if got := rowOf(t, rep, "东区", "2025H1").CheckID; got != want {
			t.Errorf("%s %q: check id %s, want %s", in.format, in.data, got, want)
		}
	}
}

// TestFigureGivenTwiceDeterministic: an audit row giving a figure by id
// and by name is read the same in every run — neither value used, one
// problem on the id — and so gets the same verdict (26 of 200 runs
// differed while the first key in map order won).
func TestFigureGivenTwiceDeterministic(t *testing.T) {
	f := shippedForm(t)
	data := `[{"unit":"东区","period":"2025H1","gold_medals":1,"金牌数":9,"events_entered":4}]`
	gold, _ := f.Indicator("gold_medals")
	for i := range 200 {
		rr, err := NewReader(f, strings.NewReader(data), FormatJSON, "")
		if err != nil {
			t.Fatal(err)
		}
		row, probs, err := rr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if row.Values[gold.Index] != nil || len(probs) != 1 || probs[0].Column != "gold_medals" {
			t.Fatalf("run %d: gold_medals = %v, problems %+v; want the figure unused and one problem on gold_medals", i, row.Values[gold.Index], probs)
		}
	}
	rep := auditBytes(t, []byte(data), FormatJSON, Options{})
	if row := rowOf(t, rep, "东区", "2025H1"); hasRule(row, "sport.gold_le_events") {
		t.Errorf("gold_le_events violated with a figure that was given twice: %+v", row.Violations)
	}
}
