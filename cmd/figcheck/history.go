package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/figcheck/figcheck/decisionlog"
	"github.com/figcheck/figcheck/store"
)

// runHistory: figcheck history --log FILE|--db URL [--form F] [--unit U] [--period P] [--flagged] [--format text|json]
func runHistory(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("history", stderr)
	logPath := fs.String("log", "", "decision log `file` (JSONL; its rotated files are read too)")
	dbURL := fs.String("db", "", "or the decision log in this database (`URL`: sqlite:PATH or postgres://…; the db sink)")
	form := fs.String("form", "", "only this form `id`")
	unit := fs.String("unit", "", "only this `unit`")
	period := fs.String("period", "", "only this `period`")
	flagged := fs.Bool("flagged", false, "only units with a changed-to-pass attempt")
	format := fs.String("format", "text", "output format: text or json")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if (*logPath == "") == (*dbURL == "") || fs.NArg() > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(stderr, "usage: figcheck history --log FILE|--db URL [--form F] [--unit U] [--period P] [--flagged] [--format text|json]")
		return exitBadArgs
	}
	filter := decisionlog.Filter{Form: *form, Unit: *unit, Period: *period}
	var entries []decisionlog.Entry
	var bad int
	var err error
	if *dbURL != "" {
		entries, err = dbEntries(*dbURL, filter, *flagged)
	} else {
		entries, bad, err = decisionlog.ReadFiles(*logPath, filter)
	}
	if err != nil {
		fmt.Fprintf(stderr, "figcheck history: %v\n", err)
		return exitBadArgs
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "figcheck history: skipped %d unreadable lines\n", bad)
	}
	series := decisionlog.History(entries)
	if *flagged {
		series = decisionlog.Flagged(series)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(series)
		return exitOK
	}
	for _, s := range series {
		flag := ""
		if s.ChangedToPass {
			flag = "  [changed to pass]"
		}
		fmt.Fprintf(stdout, "%s %s %s: %d attempts%s\n", s.Form, s.Unit, s.Period, len(s.Attempts), flag)
		for i, a := range s.Attempts {
			var failed []string
			for _, v := range a.Violated {
				if v.Severity == "error" && !v.Explained {
					failed = append(failed, v.Rule)
				}
			}
			fmt.Fprintf(stdout, "  %d. %s  %-4s  by %s (%s)  check %s\n", i+1, a.Time.Format("2006-01-02 15:04:05Z07:00"), a.Verdict, a.Actor, a.Role, a.CheckID)
			if len(failed) > 0 {
				fmt.Fprintf(stdout, "     failed: %s\n", strings.Join(failed, ", "))
			}
			for _, c := range a.Changes {
				fmt.Fprintf(stdout, "     %s\n", c)
			}
			if a.ChangedToPass {
				fmt.Fprintf(stdout, "     changed to pass: %s\n", strings.Join(a.FixedRules, ", "))
			}
		}
	}
	return exitOK
}

// dbEntries reads the decision log of the store at url (only the
// candidate series when flagged).
func dbEntries(url string, f decisionlog.Filter, flagged bool) ([]decisionlog.Entry, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if flagged {
		return st.FlaggedDecisions(ctx, f)
	}
	return st.Decisions(ctx, f)
}
