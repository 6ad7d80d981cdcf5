package gpu

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/kernels"
)

// kernelArgs maps each kernel the engine launches to its argument struct.
var kernelArgs = map[string]any{
	"weather":       weatherArgs{},
	"weather_daily": weatherDailyArgs{},
	"reduce_daily":  reduceDailyArgs{},
}

// kernelSignatures returns the parameter declarations of every __kernel in
// src, whitespace normalized ("__global ulong *rec").
func kernelSignatures(t *testing.T, src string) map[string][]string {
	t.Helper()
	re := regexp.MustCompile(`__kernel\s+void\s+(\w+)\s*\(([^)]*)\)`)
	sigs := map[string][]string{}
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		var params []string
		for p := range strings.SplitSeq(m[2], ",") {
			params = append(params, normDecl(p))
		}
		sigs[m[1]] = params
	}
	if len(sigs) == 0 {
		t.Fatal("no __kernel found in the source")
	}
	return sigs
}

func normDecl(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "* ", "*")
}

// goTypeFor is the Go field type that passes a parameter declared as decl.
func goTypeFor(decl string) reflect.Type {
	switch f := strings.Fields(decl); {
	case f[0] == "__global":
		return bufferType
	case f[0] == "__local":
		return reflect.TypeFor[local]()
	case f[0] == "uint":
		return reflect.TypeFor[uint32]()
	case f[0] == "ulong":
		return reflect.TypeFor[uint64]()
	case f[0] == "float":
		return reflect.TypeFor[float32]()
	case f[0] == "ACC":
		return reflect.TypeFor[accum]()
	}
	return nil
}

// argTableErrors compares the argument structs with the kernel signatures
// in src.
func argTableErrors(t *testing.T, src string) []string {
	sigs := kernelSignatures(t, src)
	var errs []string
	for name, args := range kernelArgs {
		params, ok := sigs[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("kernel %s is not in the source", name))
			continue
		}
		typ := reflect.TypeOf(args)
		fields := argFields(typ)
		if len(fields) != len(params) {
			errs = append(errs, fmt.Sprintf("%s: %d fields in %s, %d parameters in the source", name, len(fields), typ.Name(), len(params)))
		}
		for i := range min(len(fields), len(params)) {
			f := fields[i]
			if got := normDecl(f.Tag.Get("cl")); got != params[i] {
				errs = append(errs, fmt.Sprintf("%s argument #%d: field %s declares %q, the source has %q", name, i, f.Name, got, params[i]))
			}
			if want := goTypeFor(params[i]); f.Type != want {
				errs = append(errs, fmt.Sprintf("%s argument #%d (%s): Go type %v, want %v", name, i, params[i], f.Type, want))
			}
		}
	}
	return errs
}

// TestArgTables: each argument struct lists its kernel's parameters in the
// order of kernels/weather.cl's signature, with the declared names and
// types, so that setArgs's positions are the kernel's.
func TestArgTables(t *testing.T) {
	for _, e := range argTableErrors(t, kernels.Weather) {
		t.Error(e)
	}
}

// TestArgTablesCatchMismatch: the comparison fails on a source whose
// signature was reordered, retyped or extended.
func TestArgTablesCatchMismatch(t *testing.T) {
	for _, c := range []struct{ old, new string }{
		{"ulong first, uint count, uint b0", "uint count, ulong first, uint b0"},
		{"uint keep, __global float *temps, uint phase,", "uint keep, __global float *temps, ulong phase,"},
		{"__global ulong *out)", "__global ulong *out, uint extra)"},
	} {
		src := strings.Replace(kernels.Weather, c.old, c.new, 1)
		if src == kernels.Weather {
			t.Fatalf("%q is not in weather.cl", c.old)
		}
		if len(argTableErrors(t, src)) == 0 {
			t.Errorf("no error after replacing %q by %q", c.old, c.new)
		}
	}
}
