package main

import (
	"bytes"
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
	series := decisionlog.History(entries)
	if *flagged {
		series = decisionlog.Flagged(series)
	}
	unread := decisionlog.UnreadOf(entries)
	if *format == "json" {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Series     []decisionlog.Series `json:"series"`
			Unreadable decisionlog.Unread   `json:"unreadable"`
		}{series, unread})
		_, _ = stdout.Write([]byte(terminalSafe(b.String())))
		if bad > 0 {
			fmt.Fprintf(stderr, "figcheck history: %d unreadable records (in \"unreadable\")\n", bad)
		}
		return exitOK
	}
	// Every line goes through terminalSafe: the fields come from whoever
	// sent the checks, and a period such as "\x1b]2;…" must not drive the
	// reader's terminal.
	line := func(format string, args ...any) {
		fmt.Fprint(stdout, terminalSafe(fmt.Sprintf(format, args...)), "\n")
	}
	for _, s := range series {
		flag := ""
		if s.ChangedToPass {
			flag = "  [changed to pass]"
		}
		line("%s %s %s: %d attempts%s", s.Form, s.Unit, s.Period, len(s.Attempts), flag)
		for i, a := range s.Attempts {
			var failed []string
			for _, v := range a.Violated {
				if v.Severity == "error" && !v.Explained {
					failed = append(failed, v.Rule)
				}
			}
			line("  %d. %s  %-4s  by %s (%s)  check %s", i+1, a.Time.Format("2006-01-02 15:04:05Z07:00"), a.Verdict, a.Actor, a.Role, a.CheckID)
			if a.Unreadable != nil {
				line("     UNREADABLE at %s (%d bytes): %s", a.Unreadable.Where, a.Unreadable.Bytes, a.Unreadable.Reason)
			}
			if len(failed) > 0 {
				line("     failed: %s", strings.Join(failed, ", "))
			}
			if o := a.Omitted; o != nil && o.Keys > 0 {
				line("     %d unknown figures summarised (%s…, sha256 %.16s)", o.Keys, strings.Join(o.Names, ", "), o.Digest)
			}
			for _, c := range a.Changes {
				line("     %s", c)
			}
			if a.ChangedToPass {
				line("     changed to pass: %s", strings.Join(a.FixedRules, ", "))
			}
		}
	}
	if unread.Count > 0 {
		line("%d unreadable records:", unread.Count)
		for _, u := range unread.Records {
			line("  %s  %d bytes  sha256 %.16s  %s", u.Where, u.Bytes, u.Digest, u.Reason)
		}
		fmt.Fprintf(stderr, "figcheck history: %d unreadable records (listed at the end)\n", bad)
	}
	return exitOK
}

// terminalSafe writes the characters a terminal would act on — C0 and C1
// controls but newline, DEL, and the bidirectional overrides that reorder
// what is shown — as \uXXXX, which also keeps JSON valid (they can only
// be inside its strings). Invalid UTF-8 becomes U+FFFD.
func terminalSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r < 0x20, r >= 0x7f && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
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
