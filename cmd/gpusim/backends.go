package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

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
	// Params is the job auto picks an engine for (its size decides whether
	// measuring the candidates is worth it).
	Params sim.Params
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
	{"simd", "batches of 16 (AVX-512) or 8 (AVX2) lanes per instruction on --workers goroutines", newSIMD, benchScales},
	{"opencl", "an OpenCL device (--device, --math, --vector-width)", newOpenCL, benchOpenCL},
	{"auto", "an OpenCL GPU if there is one, else the fastest CPU engine", newAuto, nil},
}

func newSerial(engineOptions) (sim.Engine, error) { return cpu.Serial{}, nil }

func newParallel(o engineOptions) (sim.Engine, error) { return cpu.Parallel{Workers: o.Workers}, nil }

func newSIMD(o engineOptions) (sim.Engine, error) { return cpu.SIMD{Workers: o.Workers}, nil }

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
		return newFastestCPU(o, nil)
	}
	var cpuDev *gpu.DeviceDesc
	for i, d := range ds {
		if !d.IsGPU() {
			if cpuDev == nil && (d.CorrectlyRoundedSqrt || d.FP64) {
				cpuDev = &ds[i]
			}
			continue
		}
		o.Device = strconv.Itoa(d.Index)
		e, err := newOpenCL(o)
		if err == nil {
			return e, nil
		}
		o.note("OpenCL GPU %s did not start (%s): running on the CPU engines", d, firstLine(err))
		return newFastestCPU(o, nil)
	}
	return newFastestCPU(o, cpuDev)
}

// autoMeasureLaneSteps is the job size from which auto measures an OpenCL
// CPU device against simd: smaller jobs take well under a second on simd,
// and starting OpenCL (a program build, 0.03 s with pocl's cache warm and
// over a second cold) would cost more than it could save.
const autoMeasureLaneSteps = 1 << 27

// autoProbeLanes is the slice of the job each candidate runs when measured.
const autoProbeLanes = 1 << 16

// newFastestCPU returns simd, or the OpenCL CPU device dev when it is
// measurably faster on this job here: on a large job both run the same slice
// of it and the faster keeps the job (docs/benchmarks.md has the figures
// that made this necessary: pocl beats simd on some CPUs, not on others).
func newFastestCPU(o engineOptions, dev *gpu.DeviceDesc) (sim.Engine, error) {
	simd := cpu.SIMD{Workers: o.Workers}
	p := o.Params
	if dev == nil || p.Steps == 0 || p.Lanes < autoProbeLanes || float64(p.Lanes)*float64(p.Steps) < autoMeasureLaneSteps {
		return simd, nil
	}
	o.Device = strconv.Itoa(dev.Index)
	e, err := newOpenCL(o)
	if err != nil {
		o.note("OpenCL CPU device %s did not start (%s): running on simd", dev, firstLine(err))
		return simd, nil
	}
	probe := &sim.Job{Params: p, Count: autoProbeLanes}
	took := func(e sim.Engine) time.Duration {
		start := time.Now()
		if _, err := e.Run(context.Background(), probe); err != nil {
			return time.Duration(math.MaxInt64)
		}
		return time.Since(start)
	}
	if took(e) < took(simd) {
		return e, nil
	}
	sim.Close(e)
	return simd, nil
}

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
