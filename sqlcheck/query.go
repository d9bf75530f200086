package sqlcheck

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/rules"
)

// Builtin checks the query makes, as the checker names them.
const (
	BuiltinRequired = checker.BuiltinRequired
	BuiltinRange    = checker.BuiltinRange
	BuiltinType     = checker.BuiltinType
)

// Options say what table a query reads and how.
type Options struct {
	// Dialect is a key of Dialects (default postgres).
	Dialect string
	// Table is the table (or view, or schema.table) read; default the
	// form id.
	Table string
	// Columns says how the table's columns are named: "id" (default; unit,
	// period and the indicator ids) or "name" (单位, 期间 and the
	// indicators' Chinese names).
	Columns string
	// Figures adds two columns: every figure of the row and of its previous
	// period, on rows that violate a rule or cannot be evaluated (NULL on
	// the others). figcheck audit --db renders messages and check ids from
	// them.
	Figures bool
	// Absent are indicator columns the table does not have (by the names
	// Columns says): the query reads them as NULL. figcheck audit --db
	// fills it from the table's catalogue.
	Absent map[string]bool
}

// Column names.
const (
	ColumnsID   = "id"
	ColumnsName = "name"
)

// Outcome columns of a query, after unit, period and prev_period.
const (
	ColViolations   = "violations"
	ColEvalErrors   = "eval_errors"
	ColSkippedInput = "skipped_input"
	ColSkippedWhen  = "skipped_when"
	ColFigures      = "figures"
	ColPrevious     = "previous"
)

// Untranslated is a rule or batch check a query does not evaluate.
type Untranslated struct {
	Rule   string
	Reason string
}

// Query is a form's row rules as one SQL query over a table with one row
// per (unit, period) and one column per indicator. Each result row lists
// the rules the table row violates, those that could not be evaluated and
// those skipped, with figcheck's semantics (see the package doc).
type Query struct {
	SQL     string
	Dialect *Dialect
	Form    *rules.Form
	// Rules are the row rules the query evaluates, in form order.
	Rules []*rules.Rule
	// Untranslated are the row rules it does not evaluate, and why;
	// Batch the batch checks, which only figcheck audit runs.
	Untranslated []Untranslated
	Batch        []Untranslated
	// UnitColumn and PeriodColumn are the table's key columns.
	UnitColumn, PeriodColumn string
	Table                    string
	// Figures says the query returns the figures columns; Absent are the
	// columns read as NULL (Options).
	Figures bool
	Absent  map[string]bool
	column  func(*rules.Indicator) string
}

// Column is the name of an indicator's column in the table.
func (q *Query) Column(ind *rules.Indicator) string { return q.column(ind) }

// ErrOptions is wrapped by Build's errors for bad options.
var ErrOptions = errors.New("bad option")

// Build writes the query of form f.
func Build(f *rules.Form, o Options) (*Query, error) {
	if o.Dialect == "" {
		o.Dialect = "postgres"
	}
	d, ok := Dialects[o.Dialect]
	if !ok {
		return nil, fmt.Errorf("%w: dialect %q (known: %s)", ErrOptions, o.Dialect, strings.Join(DialectNames, ", "))
	}
	if o.Table == "" {
		o.Table = f.ID
	}
	if strings.TrimSpace(o.Table) == "" || strings.Contains(o.Table, "..") || strings.HasPrefix(o.Table, ".") || strings.HasSuffix(o.Table, ".") {
		return nil, fmt.Errorf("%w: table %q", ErrOptions, o.Table)
	}
	q := &Query{Dialect: d, Form: f, Table: o.Table, Figures: o.Figures, Absent: o.Absent}
	column := func(ind *rules.Indicator) string { return ind.ID }
	switch o.Columns {
	case "", ColumnsID:
		q.UnitColumn, q.PeriodColumn = "unit", "period"
	case ColumnsName:
		q.UnitColumn, q.PeriodColumn = "单位", "期间"
		column = func(ind *rules.Indicator) string { return ind.Name }
	default:
		return nil, fmt.Errorf("%w: columns %q (id or name)", ErrOptions, o.Columns)
	}
	q.column = column
	b := &builder{q: q, d: d, f: f, column: column, absent: o.Absent}
	tr := newTranslator(f, d)
	var outcomes []string
	for _, r := range f.Rules {
		o, err := b.rule(tr, r)
		if err != nil {
			q.Untranslated = append(q.Untranslated, Untranslated{r.ID, err.Error()})
			continue
		}
		q.Rules = append(q.Rules, r)
		outcomes = append(outcomes, o)
	}
	for _, r := range f.BatchRules {
		q.Batch = append(q.Batch, Untranslated{r.ID, "batch rule: reads all rows of a period"})
	}
	for _, h := range f.Hierarchies {
		q.Batch = append(q.Batch, Untranslated{h.ID, "hierarchy total: compares units"})
	}
	for _, j := range f.Jumps {
		q.Batch = append(q.Batch, Untranslated{j.ID, "period-over-period jump: compares units"})
	}
	q.SQL = b.sql(outcomes, o.Figures)
	return q, nil
}

// key names an indicator's columns inside the query: its id when short
// enough for every engine's identifiers (PostgreSQL keeps 63 bytes), else
// its index. Ids are ascii snake_case and start with a letter, so neither
// form needs quoting or can clash with the other.
func key(ind *rules.Indicator) string {
	if len(ind.ID) <= 56 {
		return ind.ID
	}
	return strconv.Itoa(ind.Index)
}

type builder struct {
	q      *Query
	d      *Dialect
	f      *rules.Form
	column func(*rules.Indicator) string
	absent map[string]bool
}

// Outcome codes of a rule, in the outcome CTE; NULL is a pass.
const (
	codeViolation = "V"
	codeError     = "E"
	codeInput     = "I" // an input is missing or unusable
	codeWhen      = "W" // when is false
)

// rule is the CASE that decides one rule's outcome, in the order the
// checker decides it (checker.state.eval): inputs, when, expr.
func (b *builder) rule(tr *translator, r *rules.Rule) (string, error) {
	ex, err := tr.boolean(r.Expr)
	if err != nil {
		return "", fmt.Errorf("expr: %w", err)
	}
	var when term
	if strings.TrimSpace(r.When) != "" {
		if when, err = tr.boolean(r.When); err != nil {
			return "", fmt.Errorf("when: %w", err)
		}
	}
	var s strings.Builder
	s.WriteString("CASE")
	// Uses include the figures the message prints: a rule whose message
	// cannot be rendered is skipped, as in the checker.
	var null []string
	for _, ind := range r.Uses {
		null = append(null, tr.cur(ind)+" IS NULL")
	}
	for _, ind := range r.UsesPrevious {
		null = append(null, tr.prev(ind)+" IS NULL")
	}
	if len(null) > 0 {
		fmt.Fprintf(&s, "\n      WHEN %s THEN '%s'", strings.Join(null, " OR "), codeInput)
	}
	if when.sql != "" {
		if when.fail != "" {
			fmt.Fprintf(&s, "\n      WHEN %s THEN '%s'", when.fail, codeError)
		}
		fmt.Fprintf(&s, "\n      WHEN NOT %s THEN '%s'", when.sql, codeWhen)
	}
	if ex.fail != "" {
		fmt.Fprintf(&s, "\n      WHEN %s THEN '%s'", ex.fail, codeError)
	}
	fmt.Fprintf(&s, "\n      WHEN NOT %s THEN '%s'", ex.sql, codeViolation)
	s.WriteString("\n    END")
	return s.String(), nil
}

// validMax bounds the finite float64s: NaN and infinities are not figures.
const validMax = "1.7976931348623157e308"

func (b *builder) sql(outcomes []string, figures bool) string {
	q, d, f := b.q, b.d, b.f
	var s strings.Builder
	b.header(&s)
	inds := f.Indicators
	prevUsed := map[int]bool{}
	for _, r := range q.Rules {
		for _, ind := range r.UsesPrevious {
			prevUsed[ind.Index] = true
		}
	}
	unit, period := quoteIdent(q.UnitColumn), quoteIdent(q.PeriodColumn)
	text := func(alias, col string) string { return "CAST(" + alias + col + " AS " + d.Text + ")" }
	// keys: each row's previous period, the unit's latest earlier one, as
	// figcheck audit takes it. Only the keys are sorted, never whole rows.
	// Rows without a unit or period are left out, as figcheck audit does
	// (MissingKeySQL counts them).
	fmt.Fprintf(&s, "WITH keys AS (\n  SELECT %s AS unit, %s AS period,\n    lag(%s) OVER (PARTITION BY %s ORDER BY %s%s) AS prev_period\n  FROM %s\n  WHERE %s <> '' AND %s <> ''\n),\n",
		text("", unit), text("", period), text("", period), text("", unit), text("", period), d.ByteOrder,
		quoteTable(q.Table), text("", unit), text("", period))
	// joined: the row's figures (r_) and its previous period's (q_) as
	// float64, by a self-join on (unit, previous period); distributed by
	// unit, it stays on one node.
	s.WriteString("joined AS (\n  SELECT k.unit, k.period, k.prev_period")
	for _, ind := range inds {
		col := "t." + quoteIdent(b.column(ind))
		if b.absent[b.column(ind)] {
			col = "NULL"
		}
		fmt.Fprintf(&s, ",\n    CAST(%s AS %s) AS r_%s", col, d.Float, key(ind))
		if prevUsed[ind.Index] || figures {
			if col != "NULL" {
				col = "p." + quoteIdent(b.column(ind))
			}
			fmt.Fprintf(&s, ", CAST(%s AS %s) AS q_%s", col, d.Float, key(ind))
		}
	}
	fmt.Fprintf(&s, "\n  FROM keys k\n  JOIN %s t ON %s = k.unit AND %s = k.period\n  LEFT JOIN %s p ON %s = k.unit AND %s = k.prev_period\n),\n",
		quoteTable(q.Table), text("t.", unit), text("t.", period), quoteTable(q.Table), text("p.", unit), text("p.", period))
	// checked: the figures as the checker reads them (c_, p_): NULL when
	// absent or unusable (not finite, or a fraction for an integer
	// indicator).
	s.WriteString("checked AS (\n  SELECT unit, period, prev_period")
	valid := func(ind *rules.Indicator, x string) string {
		v := fmt.Sprintf("%s BETWEEN -%s AND %s", x, validMax, validMax)
		if ind.Type == rules.Integer {
			v += fmt.Sprintf(" AND %s = trunc(%s)", x, x)
		}
		return fmt.Sprintf("CASE WHEN %s THEN %s END", v, x)
	}
	for _, ind := range inds {
		k := key(ind)
		fmt.Fprintf(&s, ",\n    r_%s, %s AS c_%s", k, valid(ind, "r_"+k), k)
		if prevUsed[ind.Index] || figures {
			fmt.Fprintf(&s, ", %s AS p_%s", valid(ind, "q_"+k), k)
		}
	}
	// OFFSET 0 keeps PostgreSQL from flattening this step into the next,
	// which would compute every figure's CASE again wherever a rule reads
	// it (and every rule's CASE once per list below).
	s.WriteString("\n  FROM joined\n  OFFSET 0\n),\n")
	// outcome: one code per rule.
	s.WriteString("outcome AS (\n  SELECT *")
	for i, o := range outcomes {
		fmt.Fprintf(&s, ",\n    -- %s\n    %s AS o_%d", q.Rules[i].ID, o, i)
	}
	s.WriteString("\n  FROM checked\n  OFFSET 0\n),\n")
	// result: the lists.
	var viol, errs, input, when []string
	for _, ind := range inds {
		k := key(ind)
		if ind.Required {
			viol = append(viol, fmt.Sprintf("CASE WHEN r_%s IS NULL THEN '%s:%s' END", k, BuiltinRequired, ind.ID))
		}
		viol = append(viol, fmt.Sprintf("CASE WHEN r_%s IS NOT NULL AND c_%s IS NULL THEN '%s:%s' END", k, k, BuiltinType, ind.ID))
		var out []string
		if ind.Min != nil {
			out = append(out, fmt.Sprintf("c_%s < %s", k, d.number(*ind.Min)))
		}
		if ind.Max != nil {
			out = append(out, fmt.Sprintf("c_%s > %s", k, d.number(*ind.Max)))
		}
		if out != nil {
			viol = append(viol, fmt.Sprintf("CASE WHEN %s THEN '%s:%s' END", strings.Join(out, " OR "), BuiltinRange, ind.ID))
		}
	}
	for i, r := range q.Rules {
		id := quoteString(r.ID)
		viol = append(viol, fmt.Sprintf("CASE WHEN o_%d = '%s' THEN %s END", i, codeViolation, id))
		errs = append(errs, fmt.Sprintf("CASE WHEN o_%d = '%s' THEN %s END", i, codeError, id))
		input = append(input, fmt.Sprintf("CASE WHEN o_%d = '%s' THEN %s END", i, codeInput, id))
		when = append(when, fmt.Sprintf("CASE WHEN o_%d = '%s' THEN %s END", i, codeWhen, id))
	}
	list := func(items []string) string {
		if len(items) == 0 {
			return d.list([]string{"NULL"})
		}
		return d.list(items)
	}
	fmt.Fprintf(&s, "result AS (\n  SELECT unit, period, prev_period,\n    %s AS %s,\n    %s AS %s,\n    %s AS %s,\n    %s AS %s",
		list(viol), ColViolations, list(errs), ColEvalErrors, list(input), ColSkippedInput, list(when), ColSkippedWhen)
	if figures {
		var cur, prev []string
		for _, ind := range inds {
			cur = append(cur, "r_"+key(ind))
			prev = append(prev, "p_"+key(ind))
		}
		fmt.Fprintf(&s, ",\n    %s AS %s,\n    %s AS %s", d.array(cur), ColFigures, d.array(prev), ColPrevious)
	}
	s.WriteString("\n  FROM outcome\n  OFFSET 0\n)\n")
	fmt.Fprintf(&s, "SELECT unit, period, prev_period, %s, %s, %s, %s", ColViolations, ColEvalErrors, ColSkippedInput, ColSkippedWhen)
	if figures {
		problem := fmt.Sprintf("%s > 0 OR %s > 0", d.length(ColViolations), d.length(ColEvalErrors))
		fmt.Fprintf(&s, ",\n  CASE WHEN %s THEN %s END AS %s,\n  CASE WHEN %s THEN %s END AS %s", problem, ColFigures, ColFigures, problem, ColPrevious, ColPrevious)
	}
	s.WriteString("\nFROM result\n")
	return s.String()
}

// header is the comment the query starts with: what it is, and every rule
// and check it does not evaluate.
func (b *builder) header(s *strings.Builder) {
	q, f := b.q, b.f
	fmt.Fprintf(s, "-- figcheck: row rules of form %s (%s), version %s, for %s\n", f.ID, oneLine(f.Title), f.Digest, q.Dialect.Name)
	fmt.Fprintf(s, "-- table %s: one row per (%s, %s), one column per indicator (%d)\n", q.Table, q.UnitColumn, q.PeriodColumn, len(f.Indicators))
	if q.Dialect.Advice != "" {
		fmt.Fprintf(s, "-- %s\n", q.Dialect.Advice)
	}
	fmt.Fprintf(s, "-- rules evaluated: %d of %d, with %s, %s and %s\n", len(q.Rules), len(f.Rules), BuiltinRequired, BuiltinRange, BuiltinType)
	if len(q.Untranslated) > 0 {
		fmt.Fprintf(s, "-- NOT evaluated here (no SQL translation): %d\n", len(q.Untranslated))
		for _, u := range q.Untranslated {
			fmt.Fprintf(s, "--   %s: %s\n", u.Rule, oneLine(u.Reason))
		}
	}
	if len(q.Batch) > 0 {
		fmt.Fprintf(s, "-- NOT evaluated here (batch checks, run by figcheck audit): %d\n", len(q.Batch))
		for _, u := range q.Batch {
			fmt.Fprintf(s, "--   %s: %s\n", u.Rule, u.Reason)
		}
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
