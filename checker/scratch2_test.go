package checker_test

import (
	"fmt"
	"testing"

	"github.com/figcheck/figcheck/rules"
)

func TestScratch2(t *testing.T) {
	rs, err := rules.LoadDir("../configs/forms")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rs.Forms {
		for _, r := range f.Rules {
			m := map[rules.Expect]int{}
			for _, tt := range r.Tests {
				m[tt.Expect]++
			}
			if m["pass"] == 0 || m["fail"] == 0 {
				fmt.Println(r.ID, m)
			}
		}
		fmt.Println(len(f.Indicators), len(f.Rules))
	}
}
