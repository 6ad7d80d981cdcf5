package shard

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// TestMaxSize: the part file of a run, sharded or not, with per-step
// summaries or not, over jobs of long, negative and tiny values, is never
// larger than MaxSize, which gpusim run counts against the free space of
// --save's file system before the run (a --daily part of 10,000 steps is
// 21 MB: onto a full disk the run's work was lost at the write).
func TestMaxSize(t *testing.T) {
	base := sim.Default()
	base.Lanes, base.Steps = 20_000, 50
	for _, c := range []struct {
		name           string
		edit           func(*sim.Params)
		daily, sharded bool
	}{
		{"default", func(*sim.Params) {}, false, false},
		{"daily", func(*sim.Params) {}, true, false},
		{"daily, sharded", func(*sim.Params) {}, true, true},
		{"one value", func(p *sim.Params) { p.Sigma = 0 }, true, false},
		{"negative", func(p *sim.Params) { p.Start, p.Anchor = -1000, -1000 }, true, false},
		{"near 1e-6", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = -1.234e-6, -1.234e-6, 1e-7 }, true, true},
		{"one lane", func(p *sim.Params) { p.Lanes = 1 }, true, false},
		{"no steps", func(p *sim.Params) { p.Steps = 0 }, true, false},
		{"one step", func(p *sim.Params) { p.Steps = 1 }, true, false},
	} {
		p := base
		c.edit(&p)
		job := &sim.Job{Params: p, Daily: c.daily}
		var r *sim.Result
		var err error
		var s *Shard
		if c.sharded {
			s = &Shard{Index: 1, Count: 3}
			r, err = Run(context.Background(), cpu.Serial{}, job, *s)
		} else {
			r, err = cpu.Serial{}.Run(context.Background(), job)
		}
		if err != nil {
			t.Fatal(err)
		}
		part := NewPart(r)
		part.Shard, part.Requested = s, "auto"
		b, err := part.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		most := MaxSize(p, c.sharded, c.daily)
		if uint64(len(b)) > most {
			t.Errorf("%s: the part is %d bytes, above MaxSize %d", c.name, len(b), most)
		}
		t.Logf("%s: %d bytes, MaxSize %d (%.0f%% over)", c.name, len(b), most, 100*(float64(most)/float64(len(b))-1))
	}
}

// TestMaxSizeFloats: MaxSize's floats are the longest encoding/json
// writes, float64s and float32s' values alike, and so is their sum.
func TestMaxSizeFloats(t *testing.T) {
	length := func(x float64) int {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	want := length(jsonLongest)
	if want != 25 || length(float64(jsonLongest32)) != want || length(jsonLongest+jsonLongest) != want {
		t.Errorf("lengths %d, %d, %d; want 25", want, length(float64(jsonLongest32)), length(jsonLongest+jsonLongest))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 17 {
		for _, x := range []float64{math.Float64frombits(r.Uint64()), float64(math.Float32frombits(r.Uint32())), -(1 + 9*r.Float64()) * 1e-6} {
			if !math.IsNaN(x) && !math.IsInf(x, 0) && length(x) > want {
				t.Errorf("%v is written in %d characters, above %d", x, length(x), want)
			}
		}
	}
}
