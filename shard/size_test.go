package shard

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// TestMaxSize: the part file of a run, sharded or not, with per-step
// summaries or not, over jobs of long, negative and tiny values, is never
// larger than MaxSize, which gpusim run counts against the free space of
// --save's file system before the run (a --daily part of 10,000 steps is
// 21 MB: onto a full disk the run's work was lost at the write), and at
// most over: it counted the engine names at 1 KiB each, every count at
// 2^64-1 digits and the histograms of a job without noise as if its lanes
// spread over every bin, 40% above a part without --daily and 52% above one
// without noise. What is left above is mostly the histograms' digits, at
// their most for any outcome (lanes spread evenly).
func TestMaxSize(t *testing.T) {
	base := sim.Default()
	base.Lanes, base.Steps = 20_000, 50
	for _, c := range []struct {
		name           string
		edit           func(*sim.Params)
		daily, sharded bool
		over           float64 // the most MaxSize may be above the part
	}{
		{"default", func(*sim.Params) {}, false, false, 0.26},
		{"daily", func(*sim.Params) {}, true, false, 0.29},
		{"daily, sharded", func(*sim.Params) {}, true, true, 0.36},
		{"one value", func(p *sim.Params) { p.Sigma = 0 }, true, false, 0.1},
		{"negative", func(p *sim.Params) { p.Start, p.Anchor = -1000, -1000 }, true, false, 0.3},
		{"near 1e-6", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = -1.234e-6, -1.234e-6, 1e-7 }, true, true, 0.34},
		{"one lane", func(p *sim.Params) { p.Lanes = 1 }, true, false, 0.06},
		{"most lanes with finals, sharded", func(p *sim.Params) { p.Lanes = sim.ExactQuantileLanes }, true, true, 0.36},
		{"most lanes with finals, one value", func(p *sim.Params) { p.Lanes, p.Sigma = sim.ExactQuantileLanes, 0 }, false, false, 0.1},
		{"no steps", func(p *sim.Params) { p.Steps = 0 }, true, false, 0.1},
		{"one step", func(p *sim.Params) { p.Steps = 1 }, true, false, 0.27},
	} {
		p := base
		c.edit(&p)
		// As gpusim run keeps them: a job of at most
		// sim.ExactQuantileLanes lanes saves its finals in its parts.
		job := &sim.Job{Params: p, Daily: c.daily, KeepFinals: p.Lanes <= sim.ExactQuantileLanes}
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
		most := MaxSize(p, c.sharded, c.daily, "parallel", "auto", r.Device)
		if uint64(len(b)) > most || float64(most) > float64(len(b))*(1+c.over) {
			t.Errorf("%s: the part is %d bytes, MaxSize %d; want it at most %.0f%% above", c.name, len(b), most, 100*c.over)
		}
		t.Logf("%s: %d bytes, MaxSize %d (%.0f%% over)", c.name, len(b), most, 100*(float64(most)/float64(len(b))-1))
	}
}

// TestMaxSizeDevice: MaxSize counts the device as the part writes it,
// however long and whatever JSON escapes in it (an OpenCL driver names its
// devices, and a Multi joins them all). It counted 1 KiB of plain text for
// any device, below the part of a device named with 1 KiB of "<", each
// written as \u003c, or of 64 devices of 40 bytes.
func TestMaxSizeDevice(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 10
	r, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	var many []string
	for i := range 64 {
		many = append(many, fmt.Sprintf("%d: NVIDIA H200 (NVIDIA CUDA, GPU, float)", i))
	}
	for _, device := range []string{strings.Repeat("<", 1<<10), "\x00" + strings.Repeat(`"`, 1<<10), strings.Join(many, ", ")} {
		r.Device = device
		part := NewPart(r)
		part.Requested = "opencl"
		b, err := part.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if most := MaxSize(p, false, false, r.Engine, "opencl", device); uint64(len(b)) > most {
			t.Errorf("device of %d bytes: the part is %d bytes, MaxSize %d", len(device), len(b), most)
		}
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
