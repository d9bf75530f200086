// Package sqlcheck compiles a form's row rules to one SQL query, so that
// an inspector can check a table of every unit's figures where it lives:
// PostgreSQL and the engines built on it (Citus, Greenplum), or DuckDB.
//
// The query reads a table with one row per (unit, period) and one column
// per indicator and returns, for every row, the rules it violates, those
// whose evaluation fails and those skipped, with the checker's semantics:
// a rule reading a NULL (or unusable) figure is skipped, so is one whose
// when is false; a zero divisor is an evaluation error, never a pass;
// builtin.required, builtin.range and builtin.type are checked; previous.x
// is the unit's latest earlier period, joined on (unit, period). Each rule
// is translated from the expr syntax tree of its source through one table
// of helpers (see helpers); a rule using anything else is listed as not
// translated, in the query's header and in Query.Untranslated.
package sqlcheck
