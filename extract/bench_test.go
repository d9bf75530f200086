package extract_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/figcheck/figcheck/extract"
)

// BenchmarkExtract reads the figures of a whole report: the filled one,
// the own-words reports and, when present, the seed template.
func BenchmarkExtract(b *testing.B) {
	f := shippedForm(b)
	inputs := map[string]string{}
	if t, err := os.ReadFile("testdata/filled_report.txt"); err == nil {
		inputs["filled"] = string(t)
	}
	reports, _ := filepath.Glob("testdata/reports/*.txt")
	for _, p := range reports {
		if t, err := os.ReadFile(p); err == nil {
			inputs[strings.TrimSuffix(filepath.Base(p), ".txt")] = string(t)
		}
	}
	if paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "seed", "*.txt")); len(paths) > 0 {
		if t, err := os.ReadFile(paths[0]); err == nil {
			inputs["seed"] = string(t)
		}
	}
	for name, text := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				extract.Extract(f, text)
			}
		})
	}
}

func BenchmarkParseNumber(b *testing.B) {
	for b.Loop() {
		_, _ = extract.ParseNumber("约3,200余")
	}
}

// BenchmarkExtractHostile is text no report has: one pattern's words with
// the closing word far away (every match long and no figure), thousands of
// figures of one indicator, thousands of placeholders. The time must grow
// with the text, not with its square.
func BenchmarkExtractHostile(b *testing.B) {
	f := shippedForm(b)
	for _, n := range []int{16 << 10, 256 << 10} {
		inputs := map[string]string{
			"far":          strings.Repeat("金牌竣工", n/12) + "枚所",
			"figures":      strings.Repeat("获得金牌1枚、银牌2枚。", n/30),
			"placeholders": strings.Repeat("获得金牌xx枚、xx市。", n/28),
		}
		for name, text := range inputs {
			b.Run(name+"/"+strconv.Itoa(n>>10)+"KiB", func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					extract.Extract(f, text)
				}
			})
		}
	}
}
