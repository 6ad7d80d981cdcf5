package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/sim"
)

// engineOptions are the flags that pick and configure an engine.
type engineOptions struct {
	Workers     int    // goroutines for CPU engines, 0 for all cores
	Device      string // --device: "", "N", "N,M,..." or "all"
	Math        string // --math: gpu.MathExact or gpu.MathFast
	VectorWidth int    // --vector-width, 0 for the device's
	// Note, when set, receives one-line remarks for stderr (auto's fallback).
	Note func(string)
}

func (o engineOptions) note(format string, args ...any) {
	if o.Note != nil {
		o.Note(fmt.Sprintf(format, args...))
	}
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
	{"opencl", "an OpenCL device (--device, --math, --vector-width)", newOpenCL, benchOpenCL},
	{"auto", "an OpenCL GPU if there is one, else the fastest CPU engine", newAuto, nil},
}

func newSerial(engineOptions) (sim.Engine, error) { return cpu.Serial{}, nil }

func newParallel(o engineOptions) (sim.Engine, error) { return cpu.Parallel{Workers: o.Workers}, nil }

// newAuto picks an OpenCL GPU when one exists and starts, else the fastest
// CPU engine, and says in one line why it did not use OpenCL when OpenCL is
// missing or fails.
func newAuto(o engineOptions) (sim.Engine, error) {
	ds, err := gpu.Devices()
	if err != nil {
		if noOpenCL(err) {
			o.note("no OpenCL here (%s): running on the CPU engines", firstLine(err))
		} else {
			o.note("OpenCL failed (%s): running on the CPU engines", firstLine(err))
		}
		return newFastestCPU(o)
	}
	for _, d := range ds {
		if !d.IsGPU() {
			continue
		}
		o.Device = strconv.Itoa(d.Index)
		e, err := newOpenCL(o)
		if err == nil {
			return e, nil
		}
		o.note("OpenCL GPU %s did not start (%s): running on the CPU engines", d, firstLine(err))
		break
	}
	return newFastestCPU(o)
}

// newFastestCPU is the fastest engine on a machine without a GPU.
func newFastestCPU(o engineOptions) (sim.Engine, error) { return newParallel(o) }

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

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
