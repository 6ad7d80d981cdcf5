package bench

import (
	"errors"
	"slices"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

func TestCross(t *testing.T) {
	got := Cross([]uint64{1, 2}, []int{10, 100})
	want := []Workload{{1, 10}, {1, 100}, {2, 10}, {2, 100}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// A count given twice (--lanes 1k,1k) is measured once.
	got = Cross([]uint64{2, 1, 2}, []int{10, 10})
	want = []Workload{{2, 10}, {1, 10}}
	if !slices.Equal(got, want) {
		t.Errorf("with repeats: got %v, want %v", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, c := range map[string]Config{"default": Default(), "quick": Quick()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, tc := range []struct {
		flag string
		edit func(*Config)
	}{
		{"lanes", func(c *Config) { c.Workloads = nil }},
		{"lanes", func(c *Config) { c.Workloads = []Workload{{0, 10}} }},
		{"steps", func(c *Config) { c.Workloads = []Workload{{10, 0}} }},
		{"reps", func(c *Config) { c.Reps = 0 }},
		{"warmup", func(c *Config) { c.Warmup = -1 }},
		{"workers", func(c *Config) { c.Workers = []int{0} }},
		{"sweep", func(c *Config) { c.Sweep = []uint64{0} }},
		{"sweep-steps", func(c *Config) { c.SweepSteps = 0 }},
		{"sweep-reps", func(c *Config) { c.SweepReps = 0 }},
		{"sigma", func(c *Config) { c.Params.Sigma = -1 }},
	} {
		c := Quick()
		tc.edit(&c)
		var pe *sim.ParamError
		if err := c.Validate(); !errors.As(err, &pe) || pe.Flag != tc.flag {
			t.Errorf("want a --%s error, got %v", tc.flag, err)
		}
	}
	c := Quick()
	c.Workers = []int{4, 2, 2}
	if got := c.workers(); !slices.Equal(got, []int{1, 2, 4}) {
		t.Errorf("workers %v, want [1 2 4]", got)
	}
}
