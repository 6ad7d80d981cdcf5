package main

import (
	"fmt"
	"strings"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// engineOptions are the flags that pick and configure an engine.
type engineOptions struct {
	Workers int // goroutines for CPU engines, 0 for all cores
}

// backend is one --backend value. Adding an engine is one entry here; it
// takes part in `gpusim bench` through its bench function.
type backend struct {
	name string
	help string
	new  func(engineOptions) (sim.Engine, error)
	// bench lists the engines `gpusim bench` runs for the backend (benchOne,
	// benchScales, or one per device), or says why it cannot run here; nil
	// leaves the backend out of the benchmark (auto is another's alias).
	bench func(backend) ([]bench.EngineSpec, error)
}

var backends = []backend{
	{"serial", "the reference: one goroutine, lane by lane", newSerial, benchOne},
	{"parallel", "lane blocks on --workers goroutines", newParallel, benchScales},
	{"auto", "the fastest engine that works here: parallel for now", newAuto, nil},
}

func newSerial(engineOptions) (sim.Engine, error) { return cpu.Serial{}, nil }

func newParallel(o engineOptions) (sim.Engine, error) { return cpu.Parallel{Workers: o.Workers}, nil }

// newAuto tries engines fastest first and falls back when one cannot start
// here (no OpenCL device, no SIMD unit).
func newAuto(o engineOptions) (sim.Engine, error) { return newParallel(o) }

// backendNames lists the --backend values for help and error messages.
func backendNames() string {
	names := make([]string, len(backends))
	for i, b := range backends {
		names[i] = b.name
	}
	return strings.Join(names, ", ")
}

// backendHelp describes the backends for `gpusim run --help`.
func backendHelp() string {
	var b strings.Builder
	for _, e := range backends {
		fmt.Fprintf(&b, "\n   %-9s %s", e.name, e.help)
	}
	return b.String()
}

// newEngine returns the engine --backend name selects. An unknown name is a
// *sim.ParamError; an engine that exists but cannot start here is another error.
func newEngine(name string, o engineOptions) (sim.Engine, error) {
	for _, b := range backends {
		if b.name == name {
			return b.new(o)
		}
	}
	return nil, &sim.ParamError{Flag: "backend", Msg: fmt.Sprintf("unknown backend %q (valid: %s)", name, backendNames())}
}
