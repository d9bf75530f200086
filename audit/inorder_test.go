package audit

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestInOrder: the runs come out in order whatever the workers, their
// outputs are reused (at most 2×workers in flight), a reader may stop
// early, and a panic in a run reaches the reader; no goroutine is left.
func TestInOrder(t *testing.T) {
	for _, tc := range []struct{ n, workers, stopAt int }{
		{0, 2, -1}, {1, 2, -1}, {64, 3, -1}, {65, 3, -1}, {5000, 1, -1}, {5000, 2, -1}, {5000, 7, -1},
		{5000, 2, 0}, {5000, 7, 30}, {100, 4, 1},
	} {
		t.Run(fmt.Sprintf("n=%d/workers=%d/stop=%d", tc.n, tc.workers, tc.stopAt), func(t *testing.T) {
			before := runtime.NumGoroutine()
			var got []int
			outs := map[*[]int]bool{}
			runs := 0
			inOrder(tc.n, 64, tc.workers, func(lo, hi int, out *[]int) {
				*out = (*out)[:0]
				for i := lo; i < hi; i++ {
					*out = append(*out, i)
				}
			}, func(out *[]int) bool {
				outs[out] = true
				got = append(got, *out...)
				runs++
				return runs-1 != tc.stopAt
			})
			want := tc.n
			if tc.stopAt >= 0 {
				want = min(tc.n, (tc.stopAt+1)*64)
			}
			if len(got) != want || !slices.Equal(got, intsTo(want)) {
				t.Errorf("got %d items, want 0…%d in order", len(got), want-1)
			}
			if len(outs) > max(1, 2*tc.workers) {
				t.Errorf("%d outputs in use, want at most %d", len(outs), 2*tc.workers)
			}
			waitGoroutines(t, before)
		})
	}
	t.Run("panic", func(t *testing.T) {
		before := runtime.NumGoroutine()
		defer func() {
			if p := recover(); p != "run 3" {
				t.Errorf("recovered %v, want run 3", p)
			}
			waitGoroutines(t, before)
		}()
		inOrder(1000, 10, 3, func(lo, hi int, _ *int) {
			if lo == 30 {
				panic("run 3")
			}
		}, func(*int) bool { return true })
		t.Error("no panic")
	})
}

func intsTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// waitGoroutines fails the test unless the goroutines come back to n
// within a second.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines, want %d", runtime.NumGoroutine(), n)
}
