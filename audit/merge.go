package audit

import (
	"cmp"
	"slices"
)

// sortedRun is a list of findings and their order by compareFindings:
// fs[order[0]] first. Equal findings keep their order in fs.
type sortedRun struct {
	fs    []Finding
	order []int32
}

// sortRun sorts a list of findings (by an order of indices: a finding is
// 88 bytes, an index 4).
func sortRun(fs []Finding) sortedRun {
	order := make([]int32, len(fs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		if c := compareFindings(&fs[x], &fs[y]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	return sortedRun{fs: fs, order: order}
}

// at is the run's i-th finding in order.
func (r *sortedRun) at(i int) *Finding { return &r.fs[r.order[i]] }

// mergeRuns merges sorted runs into one list, on up to workers goroutines,
// as a stable sort of the runs' findings one after the other would order
// them: by compareFindings, then by run, then by place in the run. Each
// finding is made fit for the report on the way (finish).
//
// The output is cut into parts at splitters drawn from the runs; each part
// takes from every run the findings between two splitters, and is merged
// on its own.
func mergeRuns(runs []sortedRun, workers int, finish func(*Finding)) []Finding {
	n := 0
	for _, r := range runs {
		n += len(r.fs)
	}
	out := make([]Finding, n)
	parts := 1
	if workers > 1 && n >= 4096 {
		parts = 4 * workers
	}
	// cuts[p][j] is where part p starts in run j.
	cuts := make([][]int, parts+1)
	cuts[0] = make([]int, len(runs))
	cuts[parts] = make([]int, len(runs))
	for j, r := range runs {
		cuts[parts][j] = len(r.fs)
	}
	if parts > 1 {
		splitters := sampleRuns(runs, parts)
		for p := 1; p < parts; p++ {
			s := splitters[p*len(splitters)/parts]
			cuts[p] = make([]int, len(runs))
			for j := range runs {
				cuts[p][j] = runCut(runs, j, s)
			}
		}
	}
	starts := make([]int, parts+1)
	for p := range cuts {
		for _, c := range cuts[p] {
			starts[p] += c
		}
	}
	tasks := make([]func() struct{}, parts)
	for p := range parts {
		tasks[p] = func() struct{} {
			mergePart(runs, cuts[p], cuts[p+1], out[starts[p]:starts[p+1]], finish)
			return struct{}{}
		}
	}
	runTasks(tasks, workers)
	return out
}

// runPos is a finding of a run: the run and its place in the run's order.
type runPos struct{ run, i int }

// compareAt orders the findings of runs by compareFindings, then run, then
// place: a total order.
func compareAt(runs []sortedRun, x, y runPos) int {
	if c := compareFindings(runs[x.run].at(x.i), runs[y.run].at(y.i)); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(x.run, y.run), cmp.Compare(x.i, y.i))
}

// sampleRuns returns evenly spaced findings of the runs, about 32 per
// part, in order.
func sampleRuns(runs []sortedRun, parts int) []runPos {
	n := 0
	for _, r := range runs {
		n += len(r.fs)
	}
	step := max(1, n/(32*parts))
	var s []runPos
	for j, r := range runs {
		for i := step / 2; i < len(r.fs); i += step {
			s = append(s, runPos{j, i})
		}
	}
	slices.SortFunc(s, func(x, y runPos) int { return compareAt(runs, x, y) })
	return s
}

// runCut is how many findings of run j come before s.
func runCut(runs []sortedRun, j int, s runPos) int {
	if j == s.run {
		return s.i
	}
	r := &runs[j]
	f := runs[s.run].at(s.i)
	i, _ := slices.BinarySearchFunc(r.order, f, func(k int32, f *Finding) int {
		if c := compareFindings(&r.fs[k], f); c != 0 {
			return c
		}
		// Equal findings of earlier runs come before s, of later runs
		// after it.
		return cmp.Compare(j, s.run)
	})
	return i
}

// mergePart merges the findings lo[j]…hi[j]-1 of each run j into out.
func mergePart(runs []sortedRun, lo, hi []int, out []Finding, finish func(*Finding)) {
	// heads is a binary heap of the runs' next findings, the first on top.
	heads := make([]runPos, 0, len(runs))
	for j := range runs {
		if lo[j] < hi[j] {
			heads = append(heads, runPos{j, lo[j]})
		}
	}
	less := func(a, b int) bool { return compareAt(runs, heads[a], heads[b]) < 0 }
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= len(heads) {
				return
			}
			if c+1 < len(heads) && less(c+1, c) {
				c++
			}
			if !less(c, i) {
				return
			}
			heads[i], heads[c] = heads[c], heads[i]
			i = c
		}
	}
	for i := len(heads)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for k := range out {
		h := &heads[0]
		out[k] = *runs[h.run].at(h.i)
		finish(&out[k])
		if h.i++; h.i == hi[h.run] {
			heads[0] = heads[len(heads)-1]
			heads = heads[:len(heads)-1]
		}
		down(0)
	}
}

// sortParallel sorts s by cmp, which must be a total order (no two
// elements equal), in parts on up to workers goroutines, then merges the
// parts.
func sortParallel[T any](s []T, cmp func(x, y T) int, workers int) {
	parts := min(workers, len(s)/4096)
	if parts <= 1 {
		slices.SortFunc(s, cmp)
		return
	}
	cut := func(p int) []T { return s[p*len(s)/parts : (p+1)*len(s)/parts] }
	tasks := make([]func() struct{}, parts)
	for p := range parts {
		tasks[p] = func() struct{} {
			slices.SortFunc(cut(p), cmp)
			return struct{}{}
		}
	}
	runTasks(tasks, workers)
	// The parts merged one after the other into buf, then back.
	buf := make([]T, 0, len(s))
	done := cut(0)
	for p := 1; p < parts; p++ {
		next := cut(p)
		buf = buf[:0]
		i, j := 0, 0
		for i < len(done) && j < len(next) {
			if cmp(next[j], done[i]) < 0 {
				buf = append(buf, next[j])
				j++
			} else {
				buf = append(buf, done[i])
				i++
			}
		}
		buf = append(append(buf, done[i:]...), next[j:]...)
		done = s[:len(buf)]
		copy(done, buf)
	}
}
