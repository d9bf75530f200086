package sqlcheck

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Dialect is what differs between the engines a query is written for.
// Everything else in a query is the SQL both PostgreSQL and DuckDB read.
type Dialect struct {
	Name string
	// Float is the type every figure is cast to: IEEE 754 binary64, the
	// float64 figcheck computes in.
	Float string
	Text  string
	// ByteOrder follows a text expression to compare it byte by byte, as
	// figcheck compares periods (strings.Compare), whatever the database's
	// collation.
	ByteOrder string
	// Advice is a line for the query's header on how to run it.
	Advice string
	// Setup are the session settings figcheck audit --db makes first.
	Setup []string
	// list builds an array of the non-NULL text items, array one of
	// numbers (NULLs kept), length the length of an array.
	list   func(items []string) string
	array  func(items []string) string
	length func(x string) string
}

// Dialects are the engines a query can be written for.
var Dialects = map[string]*Dialect{
	"postgres": {
		Name: "postgres", Float: "double precision", Text: "text", ByteOrder: ` COLLATE "C"`,
		// LLVM takes longer to compile this query's hundreds of
		// expressions than PostgreSQL takes to interpret them.
		Advice: "run it with SET jit = off: compiling its expressions takes longer than evaluating them",
		Setup:  []string{"SET jit = off"},
		list: func(items []string) string {
			return "array_remove(ARRAY[" + strings.Join(items, ", ") + "]::text[], NULL)"
		},
		array:  func(items []string) string { return "ARRAY[" + strings.Join(items, ", ") + "]::double precision[]" },
		length: func(x string) string { return "cardinality(" + x + ")" },
	},
	"duckdb": {
		// DuckDB compares strings bytewise unless told otherwise.
		Name: "duckdb", Float: "DOUBLE", Text: "VARCHAR", ByteOrder: "",
		list: func(items []string) string {
			return "list_filter([" + strings.Join(items, ", ") + "]::VARCHAR[], lambda x: x IS NOT NULL)"
		},
		array:  func(items []string) string { return "[" + strings.Join(items, ", ") + "]::DOUBLE[]" },
		length: func(x string) string { return "len(" + x + ")" },
	},
}

// DialectNames lists the dialects in a fixed order, for usage messages.
var DialectNames = []string{"postgres", "duckdb"}

// number is a float64 constant as SQL: the shortest decimal that reads
// back as the same float64, cast so that no engine computes with it as an
// integer or a decimal.
func (d *Dialect) number(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		// Never produced by a rule's constants; kept exact anyway.
		return fmt.Sprintf("CAST('%s' AS %s)", strconv.FormatFloat(x, 'g', -1, 64), d.Float)
	}
	return "CAST(" + strconv.FormatFloat(x, 'g', -1, 64) + " AS " + d.Float + ")"
}

// quoteIdent quotes a name as an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteTable quotes a table name, schema.table or table.
func quoteTable(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// quoteString quotes a string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
