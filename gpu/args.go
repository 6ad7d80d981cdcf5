package gpu

import (
	"fmt"
	"math"
	"reflect"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/sim"
)

// A kernel's arguments are one struct per kernel whose fields are the
// kernel's parameters in signature order; each field's `cl` tag is the
// parameter's declaration in kernels/weather.cl, which TestArgTables checks
// against the source. setArgs sets them by position from the field order,
// so no argument index is written by hand. A run of parameters that both
// weather kernels declare alike is one embedded struct (modelArgs,
// finalArgs), filled and sized in one place.
//
// The field types say how a value is passed: uint32 (uint), uint64 (ulong),
// float32 (float), accum (ACC), *cl.Buffer (__global) and local (__local).

// accum is an ACC argument: a double when the engine sums moments in fp64,
// else a float.
type accum float64

// local is the size in bytes of a __local buffer argument.
type local int

var bufferType = reflect.TypeFor[*cl.Buffer]()

// argFields are the fields of the argument struct type t in signature
// order: an embedded group of parameters (modelArgs, finalArgs) stands
// for its fields.
func argFields(t reflect.Type) []reflect.StructField {
	var fs []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if !f.Anonymous {
			fs = append(fs, f)
		}
	}
	return fs
}

// setArgs sets every argument of k from the fields of args, a pointer to an
// argument struct.
func setArgs(k *cl.Kernel, args any, fp64 bool) error {
	v := reflect.ValueOf(args).Elem()
	for i, f := range argFields(v.Type()) {
		if err := setArg(k, i, v.FieldByIndex(f.Index), fp64); err != nil {
			return fmt.Errorf("opencl: %s argument %d (%s): %w", k.Name(), i, f.Tag.Get("cl"), err)
		}
	}
	return nil
}

func setArg(k *cl.Kernel, i int, f reflect.Value, fp64 bool) error {
	switch f.Type() {
	case reflect.TypeFor[uint32]():
		return k.SetArgUint32(i, uint32(f.Uint()))
	case reflect.TypeFor[uint64]():
		return k.SetArgUint64(i, f.Uint())
	case reflect.TypeFor[float32]():
		return k.SetArgFloat32(i, float32(f.Float()))
	case reflect.TypeFor[accum]():
		if fp64 {
			return k.SetArgUint64(i, math.Float64bits(f.Float()))
		}
		return k.SetArgFloat32(i, float32(f.Float()))
	case reflect.TypeFor[local]():
		return k.SetArgLocal(i, int(f.Int()))
	case bufferType:
		return k.SetArgBuffer(i, f.Interface().(*cl.Buffer))
	}
	return fmt.Errorf("no OpenCL type for Go type %s", f.Type())
}

// modelArgs are the model's parameters and the Philox key, which both
// weather kernels take in this order.
type modelArgs struct {
	Start float32 `cl:"float start"`
	P     float32 `cl:"float p"`
	C     float32 `cl:"float c"`
	Sigma float32 `cl:"float sigma"`
	K0    uint32  `cl:"uint k0"`
	K1    uint32  `cl:"uint k1"`
}

func newModelArgs(m *sim.Model) modelArgs {
	return modelArgs{Start: m.Start, P: m.P, C: m.C, Sigma: m.Sigma, K0: m.Key[0], K1: m.Key[1]}
}

// finalArgs are the parameters both weather kernels end with, for each
// lane's final temperature: the histogram it is counted in, the kept
// finals, the temperatures carried between the parts of a split launch
// (phase says which part), and the __local buffers of the work-group
// reduction (sums, extremes, digests, counts).
type finalArgs struct {
	Hist   *cl.Buffer `cl:"__global uint *hist"`
	Finals *cl.Buffer `cl:"__global float *finals"`
	Keep   uint32     `cl:"uint keep"`
	Temps  *cl.Buffer `cl:"__global float *temps"`
	Phase  uint32     `cl:"uint phase"`
	LS1    local      `cl:"__local ACC *ls1"`
	LS2    local      `cl:"__local ACC *ls2"`
	LMin   local      `cl:"__local float *lmin"`
	LMax   local      `cl:"__local float *lmax"`
	LDig   local      `cl:"__local ulong *ldig"`
	LN     local      `cl:"__local uint *ln"`
}

// sizeLocal sizes the reduction's buffers for n records of acc-byte sums and
// lnBytes of counts.
func (a *finalArgs) sizeLocal(n, acc, lnBytes int) {
	a.LS1, a.LS2, a.LMin = local(n*acc), local(n*acc), local(n*4)
	a.LMax, a.LDig, a.LN = local(n*4), local(n*8), local(lnBytes)
}

// weatherArgs are the parameters of the weather kernel.
type weatherArgs struct {
	First   uint64 `cl:"ulong first"`
	Count   uint32 `cl:"uint count"`
	B0      uint32 `cl:"uint b0"`
	NBlocks uint32 `cl:"uint nblocks"`
	Rem     uint32 `cl:"uint rem"`
	modelArgs
	Shift  accum      `cl:"ACC shift"`
	HLo    float32    `cl:"float hlo"`
	HScale float32    `cl:"float hscale"`
	Init   uint32     `cl:"uint init"`
	Rec    *cl.Buffer `cl:"__global ulong *rec"`
	finalArgs
	LHist local `cl:"__local uint *lhist"`
}

// weatherDailyArgs are the parameters of the weather_daily kernel.
type weatherDailyArgs struct {
	First uint64 `cl:"ulong first"`
	Count uint32 `cl:"uint count"`
	S0    uint32 `cl:"uint s0"`
	NS    uint32 `cl:"uint ns"`
	modelArgs
	Shift  *cl.Buffer `cl:"__global const ACC *shift"`
	DLo    *cl.Buffer `cl:"__global const float *dlo"`
	DScale *cl.Buffer `cl:"__global const float *dscale"`
	HLo    float32    `cl:"float hlo"`
	HScale float32    `cl:"float hscale"`
	GRec   *cl.Buffer `cl:"__global ulong *grec"`
	DHist  *cl.Buffer `cl:"__global uint *dhist"`
	finalArgs
	LDH local `cl:"__local uint *ldh"`
	LFH local `cl:"__local uint *lfh"`
}

// reduceDailyArgs are the parameters of the reduce_daily kernel.
type reduceDailyArgs struct {
	DRec  *cl.Buffer `cl:"__global const ulong *drec"`
	Items uint32     `cl:"uint items"`
	Steps uint32     `cl:"uint steps"`
	Out   *cl.Buffer `cl:"__global ulong *out"`
}
