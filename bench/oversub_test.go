package bench

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

// scalingAt is engine's scaling points at asked workers, ran[i] of
// asked[i] having run.
func scalingAt(engine string, asked, ran []int) Scaling {
	s := Scaling{Engine: engine}
	for i, n := range asked {
		s.Points = append(s.Points, ScalingPoint{Workers: n, Ran: ran[i]})
	}
	return s
}

// TestOversubscribedCountsRan: the oversubscription note counts the
// workers that ran, not those asked for, and only the engines that scaled.
// It counted --workers (or the default list) for every engine asked for:
// parallel at 4 workers on lanes for one goroutine was said to put 4
// workers on 2 cores.
func TestOversubscribedCountsRan(t *testing.T) {
	m := Machine{Cores: 4, GOMAXPROCS: 2}
	const tail = ": those speedups measure oversubscription, not more parallelism, and the Amdahl fit leaves them out"
	for _, c := range []struct {
		name    string
		scaling []Scaling
		want    []string
	}{
		{"none ran above the cores", []Scaling{scalingAt("parallel", []int{1, 4}, []int{1, 1})}, nil},
		{"not asked: no scaling", nil, nil},
		{"all ran", []Scaling{scalingAt("parallel", []int{1, 2, 3, 4}, []int{1, 2, 3, 4})},
			[]string{"parallel ran 3 and 4 goroutines on 2 cores (GOMAXPROCS)" + tail}},
		{"capped", []Scaling{scalingAt("parallel", []int{1, 2, 3, 4, 8}, []int{1, 2, 3, 3, 3}), scalingAt("simd", []int{1, 2, 3, 4, 8}, []int{1, 2, 3, 3, 3})},
			[]string{"parallel and simd ran 3 goroutines on 2 cores (GOMAXPROCS), at 3, 4 and 8 workers asked" + tail}},
		{"engines apart", []Scaling{scalingAt("parallel", []int{1, 4}, []int{1, 4}), scalingAt("simd", []int{1, 4}, []int{1, 3})},
			[]string{"parallel ran 4 goroutines on 2 cores (GOMAXPROCS)" + tail, "simd ran 3 goroutines on 2 cores (GOMAXPROCS), at 4 workers asked" + tail}},
		// The processes engine's children share the CPUs, not GOMAXPROCS.
		{"processes", []Scaling{scalingAt(ProcessesEngine, []int{1, 4, 8}, []int{1, 4, 6})},
			[]string{"processes ran 6 worker processes on 4 CPUs, at 8 workers asked" + tail}},
		{"processes capped at the cores", []Scaling{scalingAt(ProcessesEngine, []int{1, 8}, []int{1, 4})}, nil},
		// A report from before Ran was recorded: the workers asked for ran.
		{"no ran count", []Scaling{scalingAt("parallel", []int{1, 3}, []int{0, 0})},
			[]string{"parallel ran 3 goroutines on 2 cores (GOMAXPROCS)" + tail}},
	} {
		got := oversubscribed(&Report{Machine: m, Scaling: c.scaling})
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, got, c.want)
		}
	}
}

// TestRunOversubscribedNote: Run notes the workers that ran above
// GOMAXPROCS, as its scaling counted them (EngineSpec.MaxWorkers), and
// none where the engine started fewer than that: the note was made before
// the run from the worker counts asked for.
func TestRunOversubscribedNote(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	over := func(rep *Report) []string {
		return slices.DeleteFunc(slices.Clone(rep.Notes), func(n string) bool { return !strings.Contains(n, "oversubscription") })
	}
	if got := over(runCapped(t, []int{4}, 1)); len(got) > 0 {
		t.Errorf("one goroutine ran at 4 workers asked, on 1 core: notes %q", got)
	}
	want := []string{"parallel ran 2 goroutines on 1 core (GOMAXPROCS), at 2 and 4 workers asked: those speedups measure oversubscription, not more parallelism, and the Amdahl fit leaves them out"}
	if got := over(runCapped(t, []int{2, 4}, 2)); !slices.Equal(got, want) {
		t.Errorf("two goroutines ran at 2 and 4 workers asked, on 1 core:\ngot  %q\nwant %q", got, want)
	}
}
