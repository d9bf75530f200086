package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/audit"
	"github.com/xuri/excelize/v2"
)

func TestTemplateCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "填报模板.xlsx")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"template", "--rules=../../configs/forms", "-o", out}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "97 项指标") {
		t.Errorf("stdout %q", stdout.String())
	}
	x, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); len(got) != 2 || got[0] != audit.SheetTemplate {
		t.Errorf("sheets %v", got)
	}
	if code := run([]string{"template", "--rules=../../configs/forms", "--form=nope", "-o", out}, nil, &stdout, &stderr); code != exitBadArgs {
		t.Errorf("unknown form: exit %d", code)
	}
}
