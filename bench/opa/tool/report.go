package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// sample is one wrk run (label "<target>/<set>/<round>") with the CPU
// time the server used during it.
type sample struct {
	Label    string  `json:"label"`
	Requests int     `json:"requests"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Errors   int     `json:"errors"`
	CPU      float64 `json:"cpu_s"`
}

func runReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	_ = fs.Parse(args)
	if fs.NArg() != 2 {
		return errors.New("usage: tool report WRK.jsonl CPU.jsonl")
	}
	samples := map[string]*sample{}
	var order []string
	for i, path := range fs.Args() {
		file, err := os.Open(path)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			var s sample
			if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
				file.Close()
				return fmt.Errorf("%s: %w", path, err)
			}
			cur, ok := samples[s.Label]
			switch {
			case !ok && i == 0:
				samples[s.Label] = &s
				order = append(order, s.Label)
			case ok && i == 1:
				cur.CPU = s.CPU
			}
		}
		file.Close()
	}
	return writeReport(os.Stdout, samples, order)
}

type summary struct {
	rps, p50, p99, cpuPerReq float64
	rounds, errors           int
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func writeReport(w io.Writer, samples map[string]*sample, order []string) error {
	type key struct{ target, set string }
	groups := map[key][]*sample{}
	var sets []string
	for _, label := range order {
		parts := strings.Split(label, "/")
		if len(parts) != 3 {
			return fmt.Errorf("label %q is not target/set/round", label)
		}
		k := key{parts[0], parts[1]}
		groups[k] = append(groups[k], samples[label])
		if !slices.Contains(sets, parts[1]) {
			sets = append(sets, parts[1])
		}
	}
	sum := func(k key) summary {
		var s summary
		var rps, p50, p99 []float64
		var cpu float64
		var reqs int
		for _, x := range groups[k] {
			rps, p50, p99 = append(rps, x.RPS), append(p50, x.P50), append(p99, x.P99)
			cpu += x.CPU
			reqs += x.Requests
			s.errors += x.Errors
		}
		s.rounds = len(groups[k])
		s.rps, s.p50, s.p99 = median(rps), median(p50), median(p99)
		if reqs > 0 {
			s.cpuPerReq = cpu / float64(reqs) * 1e6
		}
		return s
	}
	fmt.Fprintln(w, "| submissions | server | req/s | p50 ms | p99 ms | CPU µs/req | errors |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|")
	var ratios []string
	for _, set := range sets {
		fc, opa := sum(key{"figcheck", set}), sum(key{"opa", set})
		for _, row := range []struct {
			name string
			s    summary
		}{{"figcheck", fc}, {"OPA", opa}} {
			fmt.Fprintf(w, "| %s | %s | %.0f | %.2f | %.2f | %.0f | %d |\n",
				set, row.name, row.s.rps, row.s.p50, row.s.p99, row.s.cpuPerReq, row.s.errors)
		}
		if opa.rps > 0 && fc.p99 > 0 && fc.cpuPerReq > 0 {
			ratios = append(ratios, fmt.Sprintf("%s: figcheck %.1f× OPA's req/s, p99 %.2f vs %.2f ms, %.1f× less CPU per request",
				set, fc.rps/opa.rps, fc.p99, opa.p99, opa.cpuPerReq/fc.cpuPerReq))
		}
	}
	fmt.Fprintln(w)
	for _, r := range ratios {
		fmt.Fprintln(w, "- "+r)
	}
	return nil
}
