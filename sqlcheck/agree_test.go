package sqlcheck_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/figcheck/figcheck/audit"
	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/configs"
	"github.com/figcheck/figcheck/internal/testpg"
	"github.com/figcheck/figcheck/rules"
	"github.com/figcheck/figcheck/sqlcheck"
	"github.com/jackc/pgx/v5"
)

// The agreement tests load the same rows into a database and into figcheck
// audit and compare, row by row, the rules violated, the evaluation errors
// and the rules skipped.

func shippedForm(t testing.TB) *rules.Form {
	t.Helper()
	rs, err := rules.LoadDir("../" + configs.DefaultRulesDir)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rs.Form("edu_sports_halfyear")
	if !ok {
		t.Fatal("no form edu_sports_halfyear")
	}
	return f
}

// genRow is one (unit, period) of the generated batch: NaN is NULL.
type genRow struct {
	unit, period string
	vals         []float64
}

var genPeriods = []string{"2023H1", "2023H2", "2024H1", "2024H2", "2025H1", "2025H2"}

// generate makes a batch of about n rows for f: figures of every size,
// NULLs, zeros (divisors), negatives and values above max (builtin.range),
// fractions of integers (builtin.type), periods missing in between, and
// figures that follow the previous period closely or exactly (the
// cross-period rules, and float noise in approx).
func generate(f *rules.Form, n int, seed uint64) []genRow {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []genRow
	for u := 0; len(out) < n; u++ {
		unit := fmt.Sprintf("单位%05d", u)
		var last []float64
		for _, p := range genPeriods {
			if rng.Float64() < 0.25 {
				continue
			}
			vals := make([]float64, len(f.Indicators))
			for i, ind := range f.Indicators {
				vals[i] = genValue(rng, ind, last, i)
			}
			out = append(out, genRow{unit, p, vals})
			last = vals
		}
	}
	return out
}

func genValue(rng *rand.Rand, ind *rules.Indicator, last []float64, i int) float64 {
	r := rng.Float64()
	switch {
	case r < 0.05:
		return math.NaN()
	case r < 0.13:
		return 0
	case r < 0.15:
		return -float64(rng.IntN(5) + 1)
	case r < 0.17 && ind.Type == rules.Integer:
		return float64(rng.IntN(100)) + 0.5
	case r < 0.45 && last != nil && !math.IsNaN(last[i]):
		// Close to, or exactly, the previous period's figure.
		if rng.IntN(3) == 0 {
			return last[i]
		}
		x := last[i] * (0.7 + 0.7*rng.Float64())
		if ind.Type == rules.Integer {
			return math.Round(x)
		}
		return math.Round(x*10) / 10
	}
	var x float64
	switch ind.Type {
	case rules.Percent:
		x = math.Round(rng.Float64()*1100) / 10 // 0–110, one decimal
	case rules.Integer:
		x = float64(rng.IntN([]int{10, 1000, 100000}[rng.IntN(3)]))
	default:
		x = math.Round(rng.Float64()*[]float64{10, 1000, 100000}[rng.IntN(3)]*100) / 100
	}
	if ind.Min != nil && *ind.Min < 0 {
		x -= 50 // the deltas, -100..100
	}
	return x
}

// key is a row's identity in both paths.
type rowKey struct{ unit, period string }

// expected runs figcheck audit on the rows, in a shuffled order (so that
// some previous periods come after the rows that need them), and returns
// every row's check in the terms of a query row.
func expected(t testing.TB, f *rules.Form, q *sqlcheck.Query, rows []genRow) map[rowKey]sqlcheck.Row {
	t.Helper()
	var mu sync.Mutex
	got := map[rowKey]sqlcheck.Row{}
	evaluated := q.Evaluated()
	a, err := audit.New(f, audit.Options{Workers: 2, OnCheck: func(sub *checker.Submission, _ [32]byte, res *checker.Result) {
		viol, errs, input, when := sqlcheck.Entries(res, evaluated)
		mu.Lock()
		defer mu.Unlock()
		// A row checked again at the end (its previous period came
		// later) replaces its first check.
		got[rowKey{sub.Unit, sub.Period}] = sqlcheck.Row{Unit: sub.Unit, Period: sub.Period,
			Violations: viol, EvalErrors: errs, SkippedInput: input, SkippedWhen: when}
	}})
	if err != nil {
		t.Fatal(err)
	}
	order := slices.Clone(rows)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	if err := a.Read("generated", &sliceReader{rows: order}); err != nil {
		t.Fatal(err)
	}
	rep := a.Finish()
	if len(rep.Problems) > 0 {
		t.Fatalf("audit problems: %v", rep.Problems[0])
	}
	return got
}

// sliceReader gives generated rows to figcheck audit as spreadsheet cells.
type sliceReader struct {
	rows []genRow
	i    int
}

func (r *sliceReader) Next() (audit.Row, []audit.Problem, error) {
	if r.i >= len(r.rows) {
		return audit.Row{}, nil, io.EOF
	}
	g := r.rows[r.i]
	r.i++
	cells := make([]string, len(g.vals))
	for i, x := range g.vals {
		if !math.IsNaN(x) {
			cells[i] = strconv.FormatFloat(x, 'f', -1, 64)
		}
	}
	return audit.Row{Line: r.i + 1, Unit: g.unit, Period: g.period, Cells: cells}, nil, nil
}

// compare reports every row where the query and the checker differ.
func compare(t *testing.T, want map[rowKey]sqlcheck.Row, got []sqlcheck.Row, noErrors bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("query returned %d rows, audit checked %d", len(got), len(want))
	}
	bad := 0
	var counts [4]int
	for _, g := range got {
		g = g.Sorted()
		w, ok := want[rowKey{g.Unit, g.Period}]
		if !ok {
			t.Errorf("%s %s: returned by the query, not checked by audit", g.Unit, g.Period)
			continue
		}
		counts[0] += len(g.Violations)
		counts[1] += len(g.EvalErrors)
		counts[2] += len(g.SkippedInput)
		counts[3] += len(g.SkippedWhen)
		for _, l := range []struct {
			what     string
			sql, chk []string
		}{
			{"violations", g.Violations, w.Violations},
			{"eval errors", g.EvalErrors, w.EvalErrors},
			{"skipped (input)", g.SkippedInput, w.SkippedInput},
			{"skipped (when)", g.SkippedWhen, w.SkippedWhen},
		} {
			if !slices.Equal(l.sql, l.chk) && bad < 20 {
				bad++
				t.Errorf("%s %s (previous %q): %s differ\n  sql:     %v\n  checker: %v", g.Unit, g.Period, g.PrevPeriod, l.what, l.sql, l.chk)
			}
		}
	}
	t.Logf("%d rows: %d violations, %d evaluation errors, %d skipped for input, %d for when", len(got), counts[0], counts[1], counts[2], counts[3])
	for i, what := range []string{"violations", "evaluation errors", "input skips", "when skips"} {
		if counts[i] == 0 && (i != 1 || !noErrors) {
			t.Errorf("the batch has no %s: it does not test them", what)
		}
	}
}

// loadPostgres creates the form's table in db and copies rows into it.
func loadPostgres(t testing.TB, ctx context.Context, conn *pgx.Conn, f *rules.Form, table string, byName bool, rows []genRow) {
	t.Helper()
	cols := []string{"unit", "period"}
	if byName {
		cols = []string{"单位", "期间"}
	}
	for _, ind := range f.Indicators {
		if byName {
			cols = append(cols, ind.Name)
		} else {
			cols = append(cols, ind.ID)
		}
	}
	var ddl strings.Builder
	fmt.Fprintf(&ddl, "CREATE TABLE %q (%q text NOT NULL, %q text NOT NULL", table, cols[0], cols[1])
	for _, c := range cols[2:] {
		fmt.Fprintf(&ddl, ", %q double precision", c)
	}
	fmt.Fprintf(&ddl, ", PRIMARY KEY (%q, %q))", cols[0], cols[1])
	if _, err := conn.Exec(ctx, ddl.String()); err != nil {
		t.Fatal(err)
	}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := rows[i]
		vals := []any{r.unit, r.period}
		for _, x := range r.vals {
			if math.IsNaN(x) {
				vals = append(vals, nil)
			} else {
				vals = append(vals, x)
			}
		}
		return vals, nil
	}))
	if err != nil || int(n) != len(rows) {
		t.Fatalf("copy: %d rows, %v", n, err)
	}
}

func runPostgres(t testing.TB, ctx context.Context, conn *pgx.Conn, q *sqlcheck.Query) []sqlcheck.Row {
	t.Helper()
	var out []sqlcheck.Row
	err := q.RunPostgres(ctx, conn, func(r *sqlcheck.Row) error {
		c := *r
		c.Figures, c.Previous = slices.Clone(r.Figures), slices.Clone(r.Previous)
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatalf("query: %v\n%s", err, q.SQL[:min(len(q.SQL), 2000)])
	}
	return out
}

func pgConn(t testing.TB) (context.Context, *pgx.Conn) {
	t.Helper()
	url := testpg.DB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return ctx, conn
}

// edgeForm has rules without guards around their divisions, and every
// operator and helper the translation knows (testdata/forms/edge).
func edgeForm(t testing.TB) *rules.Form {
	t.Helper()
	rs, err := rules.LoadDir("testdata/forms")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := rs.Form("edge")
	return f
}

// agreementCases are the batches compared on every engine: the shipped
// form (every rule must translate) and the edge form (two rules use what
// has no translation and must be listed).
var agreementCases = []struct {
	name         string
	form         func(testing.TB) *rules.Form
	rows         int
	untranslated []string
	// noErrors: every division of the shipped form is guarded by its
	// when, so its batch has no evaluation errors; the edge form's has.
	noErrors bool
}{
	{"shipped", shippedForm, 10000, nil, true},
	{"edge", edgeForm, 10000, []string{"power", "membership"}, false},
}

func buildChecked(t *testing.T, f *rules.Form, o sqlcheck.Options, untranslated []string) *sqlcheck.Query {
	t.Helper()
	q, err := sqlcheck.Build(f, o)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range q.Untranslated {
		ids = append(ids, u.Rule)
		if !strings.Contains(q.SQL, "--   "+u.Rule+": ") {
			t.Errorf("untranslated rule %s is not listed in the query's header", u.Rule)
		}
	}
	if !slices.Equal(ids, untranslated) {
		t.Errorf("untranslated rules %v, want %v", ids, untranslated)
	}
	return q
}

// engine is a database the agreement tests load rows into and query.
type engine struct {
	dialect string
	seed    uint64
	load    func(t testing.TB, f *rules.Form, table string, byName bool, rows []genRow)
	run     func(t testing.TB, q *sqlcheck.Query) []sqlcheck.Row
}

func (e engine) agreement(t *testing.T) {
	for _, tc := range agreementCases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.form(t)
			rows := generate(f, tc.rows, e.seed)
			table := "batch_" + tc.name
			e.load(t, f, table, false, rows)
			q := buildChecked(t, f, sqlcheck.Options{Dialect: e.dialect, Table: table}, tc.untranslated)
			compare(t, expected(t, f, q, rows), e.run(t, q), tc.noErrors)
		})
	}
}

func (e engine) ruleTests(t *testing.T) {
	f := shippedForm(t)
	rows, tests := ruleTestRows(t, f)
	e.load(t, f, "rule_tests", true, rows)
	q, err := sqlcheck.Build(f, sqlcheck.Options{Dialect: e.dialect, Table: "rule_tests", Columns: sqlcheck.ColumnsName})
	if err != nil {
		t.Fatal(err)
	}
	checkRuleTests(t, f, tests, e.run(t, q))
}

func postgresEngine(t testing.TB) engine {
	ctx, conn := pgConn(t)
	return engine{dialect: "postgres", seed: 7,
		load: func(t testing.TB, f *rules.Form, table string, byName bool, rows []genRow) {
			loadPostgres(t, ctx, conn, f, table, byName, rows)
		},
		run: func(t testing.TB, q *sqlcheck.Query) []sqlcheck.Row { return runPostgres(t, ctx, conn, q) },
	}
}

func TestAgreementPostgres(t *testing.T) { postgresEngine(t).agreement(t) }

func TestRuleTestsPostgres(t *testing.T) { postgresEngine(t).ruleTests(t) }

// ruleTestRows turns the shipped form's rule tests into table rows: one
// per test, in period P2, with its previous figures in P1. Tests whose
// figures a numeric column cannot hold (text such as "xx") or that rely
// on explanations are left out and counted.
func ruleTestRows(t *testing.T, f *rules.Form) (rows []genRow, tests []ruleTest) {
	t.Helper()
	skipped := 0
	for _, r := range f.Rules {
		for _, rt := range r.Tests {
			cur, ok1 := testFigures(f, rt.Figures)
			prev, ok2 := testFigures(f, rt.Previous)
			if !ok1 || !ok2 || len(rt.Explanations) > 0 {
				skipped++
				continue
			}
			unit := fmt.Sprintf("test%04d", len(tests))
			if len(rt.Previous) > 0 {
				rows = append(rows, genRow{unit, "P1", prev})
			}
			rows = append(rows, genRow{unit, "P2", cur})
			tests = append(tests, ruleTest{unit: unit, rule: r, test: rt})
		}
	}
	t.Logf("%d rule tests as table rows, %d left out (text figures or explanations)", len(tests), skipped)
	return rows, tests
}

type ruleTest struct {
	unit string
	rule *rules.Rule
	test rules.Test
}

func testFigures(f *rules.Form, vals map[string]any) ([]float64, bool) {
	out := make([]float64, len(f.Indicators))
	for i := range out {
		out[i] = math.NaN()
	}
	for k, v := range vals {
		ind, _ := f.Indicator(k)
		if v == nil {
			continue
		}
		x, err := checker.Normalize(v, ind.Type)
		if err != nil {
			return nil, false
		}
		out[ind.Index] = x
	}
	return out, true
}

// outcome is what a query row says of one rule, in a rule test's words.
func outcome(r sqlcheck.Row, rule string) string {
	switch {
	case slices.Contains(r.Violations, rule):
		return "fail"
	case slices.Contains(r.EvalErrors, rule):
		return "error"
	case slices.Contains(r.SkippedInput, rule), slices.Contains(r.SkippedWhen, rule):
		return "skip"
	}
	return "pass"
}

// checkRuleTests compares, for every rule test, the query's outcome with
// what the test expects and with what the checker's test runner gets.
func checkRuleTests(t *testing.T, f *rules.Form, tests []ruleTest, got []sqlcheck.Row) {
	t.Helper()
	var c checker.Checker
	runner := map[string]string{}
	for _, tr := range c.RunTests(f) {
		runner[tr.Rule+"\x00"+tr.Test] = tr.Got
	}
	byUnit := map[string]sqlcheck.Row{}
	for _, r := range got {
		if r.Period == "P2" {
			byUnit[r.Unit] = r
		}
	}
	for _, rt := range tests {
		r, ok := byUnit[rt.unit]
		if !ok {
			t.Errorf("rule %s test %q: no result row", rt.rule.ID, rt.test.Name)
			continue
		}
		sql := outcome(r, rt.rule.ID)
		if sql != string(rt.test.Expect) || sql != runner[rt.rule.ID+"\x00"+rt.test.Name] {
			t.Errorf("rule %s test %q: sql %s, expected %s, checker %s", rt.rule.ID, rt.test.Name, sql, rt.test.Expect, runner[rt.rule.ID+"\x00"+rt.test.Name])
		}
	}
}
