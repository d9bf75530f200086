package sqlcheck

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/figcheck/figcheck/rules"
)

// testForm is a small form whose rules are given by their expressions.
func testForm(t testing.TB, exprs ...string) *rules.Form {
	t.Helper()
	var b strings.Builder
	b.WriteString("form: t\nindicators:\n  - {id: a, name: 甲, type: integer}\n  - {id: b, name: 乙, type: number}\nrules:\n")
	for i, e := range exprs {
		b.WriteString("  - {id: r" + string(rune('a'+i)) + ", name: 规则, severity: error, expr: '" + e + "', message: x}\n")
	}
	rs, err := rules.LoadFS(fstest.MapFS{"t.yaml": {Data: []byte(b.String())}}, ".", "test")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rs.Form("t")
	return f
}

func translate(t testing.TB, src string) (term, error) {
	t.Helper()
	return newTranslator(testForm(t), Dialects["postgres"]).boolean(src)
}

func TestTranslate(t *testing.T) {
	for _, tc := range []struct {
		src      string
		sql      string // a part of the value's SQL
		fail     string // a part of the fail condition; "" or "-" for none
		untransl string // a part of the error, when untranslatable
	}{
		{src: "甲 > 乙", sql: "(c_a > c_b)", fail: "-"},
		{src: "a / b > 1", sql: "(c_a / NULLIF(c_b, 0))", fail: "(c_b = 0)"},
		{src: "share(a, 4) <= 50", sql: "* 100", fail: "-"},
		{src: "ratio(a, 0) <= 50", fail: "TRUE"},
		{src: "approx(a, b, 0.05)", sql: "CAST(1e-09 AS double precision)", fail: "-"},
		{src: "approx(a, b, b)", fail: "(c_b < 0)"},
		{src: "between(a, 1000, 10)", fail: "TRUE"},
		{src: "between(a, b, 10)", fail: "> CAST(10"},
		{src: "b != 0 && a / b < 5", fail: "(c_b <> CAST(0 AS double precision)) AND (c_b = 0)"},
		{src: "previous.甲 > 0", sql: "p_a"},
		{src: "round(a / 2) == 1", sql: "trunc("},
		{src: "max(a, b) <= min(a, b, 3)", sql: "greatest(c_a, c_b)"},
		{src: "sum(a, b, 1) > 0", sql: "(c_a + c_b + CAST(1 AS double precision))"},
		{src: "a ** 2 > b", untransl: "operator **"},
		{src: "a in [1, 2]", untransl: "array expression"},
		{src: "a % 2 == 0", untransl: "operator %"},
		{src: "len([1]) > 0", untransl: "function len"},
		{src: "a > 0 ? b : true", untransl: "mixed types"},
		{src: "other > 0", untransl: `unknown name "other"`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			got, err := translate(t, tc.src)
			if tc.untransl != "" {
				if !errors.Is(err, ErrUntranslatable) || !strings.Contains(err.Error(), tc.untransl) {
					t.Fatalf("error %v, want untranslatable: %s", err, tc.untransl)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got.sql, tc.sql) {
				t.Errorf("sql %s\nwant a part %s", got.sql, tc.sql)
			}
			if tc.fail == "" {
				tc.fail = "-"
			}
			if (tc.fail == "-") != (got.fail == "") || (tc.fail != "-" && !strings.Contains(got.fail, tc.fail)) {
				t.Errorf("fail %q, want %q", got.fail, tc.fail)
			}
		})
	}
}

func TestBuildOptions(t *testing.T) {
	f := testForm(t, "a > b")
	for _, o := range []Options{{Dialect: "oracle"}, {Columns: "x"}, {Table: "a..b"}, {Table: " "}, {Table: ".t"}} {
		if _, err := Build(f, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v, want ErrOptions", o, err)
		}
	}
	q, err := Build(f, Options{Table: `we"ird.ta ble`})
	if err != nil || !strings.Contains(q.SQL, `FROM "we""ird"."ta ble"`) {
		t.Errorf("quoting: %v\n%s", err, q.SQL)
	}
}

// FuzzTranslate: any expression either translates or is refused with an
// error; the translator never panics.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{"a / b > 1", "between(ratio(a, b), 1, 2)", "approx(a - previous.a, b, 0.05)",
		"a > 0 ? b / a < 3 : not (b > 1)", "max(a, b) == round(a)", "sum(a, b, 3) >= 1 || b == 0"} {
		f.Add(s)
	}
	tr := newTranslator(testForm(f), Dialects["duckdb"])
	f.Fuzz(func(t *testing.T, src string) {
		got, err := tr.boolean(src)
		if err == nil && (got.sql == "" || !got.boolean) {
			t.Fatalf("%q: empty or non-boolean translation %+v", src, got)
		}
	})
}
