package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/internal/testpg"
	"github.com/jackc/pgx/v5"
)

func sqlCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"sql"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSQLCommand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"postgres", []string{"--rules=../../configs/forms", "--form", "edu_sports_halfyear"}, exitOK,
			`FROM "edu_sports_halfyear"`, ""},
		{"duckdb by name", []string{"--rules=../../configs/forms", "--dialect", "duckdb", "--table", "raw.units", "--columns", "name"}, exitOK,
			`FROM "raw"."units"`, ""},
		{"untranslated listed", []string{"--rules=../../sqlcheck/testdata/forms", "--form", "edge"}, exitFail,
			"--   power: ", "rule membership not translated"},
		{"bad dialect", []string{"--rules=../../configs/forms", "--dialect", "oracle"}, exitBadArgs, "", `dialect "oracle"`},
		{"bad columns", []string{"--rules=../../configs/forms", "--columns", "x"}, exitBadArgs, "", `columns "x"`},
		{"unknown form", []string{"--rules=../../configs/forms", "--form", "nope"}, exitBadArgs, "", `unknown form "nope"`},
		{"stray argument", []string{"--rules=../../configs/forms", "file.csv"}, exitBadArgs, "", "usage: figcheck sql"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := sqlCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
				t.Errorf("exit %d (want %d)\nstdout %.300s\nstderr %s", code, tc.code, out, errOut)
			}
		})
	}
}

func TestAuditTableCommand(t *testing.T) {
	for _, args := range [][]string{
		{"--table", "t"}, // no --db
		{"--db", "postgres://x", "--table", "t", "a.csv"}, // a file as well
		{"--db", "postgres://x", "--table", "t", "--format", "xlsx"},
	} {
		if code, _, errOut := auditCLI(t, "", args...); code != exitBadArgs || !strings.Contains(errOut, "usage: figcheck audit --db") {
			t.Errorf("%v: exit %d, stderr %s", args, code, errOut)
		}
	}

	url := testpg.DB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE units ("单位" text, "期间" text, "金牌数" double precision, "参赛项目数" integer, "人均体育场地面积" numeric);
		INSERT INTO units VALUES ('东区', '2024H2', 3, 8, 2.0), ('东区', '2025H1', 9, 4, 2.1), ('西区', '2025H1', 1, 2, 0.2)`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := auditCLI(t, "", "--db", url, "--table", "units", "--columns", "name", "--format", "json")
	if code != exitFail {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var rep struct {
		Summary struct{ Rows, Units int } `json:"summary"`
		Rows    []struct {
			Unit, Period string
			Violations   []struct{ Rule, Message string }
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Summary.Rows != 3 || rep.Summary.Units != 2 {
		t.Fatalf("report %+v, %v\n%s", rep.Summary, err, out)
	}
	found := map[string]string{}
	for _, r := range rep.Rows {
		for _, v := range r.Violations {
			found[r.Unit+" "+r.Period+" "+v.Rule] = v.Message
		}
	}
	for _, want := range []string{"东区 2025H1 sport.gold_le_events", "西区 2025H1 sport.area_per_capita_range"} {
		if found[want] == "" {
			t.Errorf("no %s in %v", want, found)
		}
	}
	if !strings.Contains(found["东区 2025H1 sport.gold_le_events"], "9") {
		t.Errorf("message without the figures: %q", found["东区 2025H1 sport.gold_le_events"])
	}
	if !strings.Contains(errOut, "audit.city_total not run") {
		t.Errorf("batch checks not said to be left out: %s", errOut)
	}

	// Two rows for one unit and period: refused, with the pair named.
	if _, err := conn.Exec(ctx, `INSERT INTO units VALUES ('西区', '2025H1', 0, 0, 1)`); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = auditCLI(t, "", "--db", url, "--table", "units", "--columns", "name")
	if code != exitBadArgs || !strings.Contains(errOut, "西区 2025H1 ×2") {
		t.Errorf("duplicates: exit %d, stderr %s", code, errOut)
	}
}
