package cl_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestForCommand: every hint of this package, worded for a command,
// names only flags that command takes, or those of a command it names in
// full ("gpusim run --engine simd"), and leaves out a remedy only by
// itself and its separator, the rest of the hint kept whole; for run,
// whose flags the hints name, it is unchanged. The address-space hints are
// those of an injected limit. bench's named run's --out, --vector-width and
// --shard, and selftest's and devices' --engine too.
func TestForCommand(t *testing.T) {
	hints, err := allHints(t)
	commands := map[string][]string{
		"run":      {"lanes", "steps", "shard", "engine", "out", "device", "math", "vector-width"},
		"bench":    {"lanes", "steps", "engines", "workers"},
		"selftest": {"device", "format"},
		"devices":  {"format"},
	}
	flag := regexp.MustCompile(`(?:gpusim ([a-z]+) )?--([a-z][a-z0-9-]*)`)
	for name, flags := range commands {
		takes := func(f string) bool { return slices.Contains(flags, f) }
		for _, h := range hints {
			got := cl.ForCommand(h, takes)
			if name == "run" && got != h {
				t.Errorf("run: %q reworded as %q", h, got)
			}
			for _, m := range flag.FindAllStringSubmatch(got, -1) {
				if m[1] == "" && !takes(m[2]) || m[1] != "" && !slices.Contains(commands[m[1]], m[2]) {
					t.Errorf("%s: --%s is not its flag: %q", name, m[2], got)
				}
			}
			if strings.Contains(got, "; or ; or") || strings.HasSuffix(got, "; or ") || strings.Contains(got, ": ; or") {
				t.Errorf("%s: a remedy left out leaves its separator: %q", name, got)
			}
			if !strings.HasPrefix(got, h[:20]) {
				t.Errorf("%s: %q lost the start of %q", name, got, h)
			}
		}
	}
	bench := cl.ForCommand(cl.HintFor(err), func(f string) bool { return f == "engines" || f == "lanes" })
	if want := "raise the limit to ulimit -v 2090000 or more, or lift it (ulimit -v unlimited); or run fewer lanes (--lanes); or use a CPU engine (--engines simd), which runs without OpenCL"; bench != want {
		t.Errorf("bench's buffer hint %q, want %q", bench, want)
	}
	// The CPU engines named all at once, in each command's words: bench's
	// and selftest's named them as run's --engine values, "(serial,
	// parallel, simd)", and bench's meanwhile as "(--engines simd,
	// parallel or serial)", no list bench takes.
	takesEngines := func(f string) bool { return f == "engines" || f == "lanes" }
	takesDevice := func(f string) bool { return f == "device" }
	for _, c := range []struct{ cmd, hint, want string }{
		{"bench", cl.UnsupportedHint("linux", "riscv64"), "build gpusim with CGO_ENABLED=1 for OpenCL here; the CPU engines (--engines serial,parallel,simd) run without it"},
		{"selftest", cl.UnsupportedHint("linux", "riscv64"), "build gpusim with CGO_ENABLED=1 for OpenCL here; the CPU engines (gpusim run --engine serial, parallel or simd) run without it"},
		{"bench", "check the device; " + cl.CPUMeanwhile, "check the device; run on the CPU engines (--engines simd,parallel,serial) meanwhile"},
		{"selftest", "check the device; " + cl.CPUMeanwhile, "check the device; run on a CPU engine (gpusim run --engine simd, parallel or serial) meanwhile"},
	} {
		takes := takesDevice
		if c.cmd == "bench" {
			takes = takesEngines
		}
		if got := cl.ForCommand(c.hint, takes); got != c.want {
			t.Errorf("%s: %q worded as %q, want %q", c.cmd, c.hint, got, c.want)
		}
		if got := cl.WithoutCPU(cl.ForCommand(c.hint, takes)); strings.Contains(got, "CPU engine") {
			t.Errorf("%s: %q without the CPU engines' remedy is %q", c.cmd, c.hint, got)
		}
	}
	selftest := cl.ForCommand(cl.HintFor(err), func(f string) bool { return f == "device" })
	if want := "raise the limit to ulimit -v 2090000 or more, or lift it (ulimit -v unlimited); or use a CPU engine (gpusim run --engine simd), which runs without OpenCL"; selftest != want {
		t.Errorf("selftest's buffer hint %q, want %q", selftest, want)
	}
}

// TestWithoutCPU: every hint of this package (and one of a build without
// OpenCL) less its remedies of the CPU engines (WithoutCPU, for bench's
// note on an engine it leaves out while it runs them) names no CPU engine,
// keeps the rest whole, leaves no separator dangling, and is unchanged
// where it had no such remedy: bench's note said to run on the CPU engines
// it ran ("or run on a CPU engine (--engines simd)", "the CPU engines
// (serial, parallel, simd) run without it", processes left out).
func TestWithoutCPU(t *testing.T) {
	hints, _ := allHints(t)
	hints = append(hints, cl.UnsupportedHint("linux", "riscv64"), cl.UnsupportedHint("plan9", "amd64"), "check the drivers with clinfo; "+cl.CPUEnginesRun)
	cpu := regexp.MustCompile(`(?i)cpu engine`)
	for _, h := range hints {
		got := cl.WithoutCPU(h)
		switch {
		case cpu.MatchString(got):
			t.Errorf("%q names a CPU engine: %q", h, got)
		case !cpu.MatchString(h) && got != h:
			t.Errorf("%q, without a CPU engine, reworded as %q", h, got)
		case got == "" || !strings.HasPrefix(h, got) && !strings.HasPrefix(got, h[:20]):
			t.Errorf("%q lost more than its remedy: %q", h, got)
		case strings.HasSuffix(got, ";") || strings.HasSuffix(got, "; or") || strings.HasSuffix(got, ",") || strings.Contains(got, "; or ; or"):
			t.Errorf("%q leaves a separator: %q", h, got)
		}
	}
}

// allHints is every hint of the package's errors: each status's, for a
// call and a launch, and the address-space limit's, of an injected limit;
// err is a buffer's that the limit refuses.
func allHints(t *testing.T) ([]string, error) {
	var hints []string
	add := func(h string) {
		if h != "" && !slices.Contains(hints, h) {
			hints = append(hints, h)
		}
	}
	for code := int32(-1100); code < 0; code++ {
		add((&cl.Error{Code: code, Op: "clCreateBuffer"}).Hint())
		add((&cl.Error{Code: code, Op: "clEnqueueNDRangeKernel"}).Hint())
	}
	cl.FakeAddressSpace(t, 1300000<<10, 1296372<<10, 2)
	add(cl.HintFor(cl.AddressSpaceShort()))
	add((&cl.Error{Code: -6, Op: "clGetDeviceIDs"}).Hint())
	cl.FakeAddressSpace(t, 1950000<<10, 1602486272, 2)
	add(cl.HintFor(cl.BuildAddressSpaceShort()))
	cl.FakeAddressSpace(t, 2000000<<10, 1800000000, 2)
	_, err := cl.CreateBuffer(nil, cl.MemReadWrite, 200e6)
	add(cl.HintFor(err))
	add(cl.HintFor(cl.RunAddressSpaceShort(nil, 1e9, 4e8)))
	if len(hints) < 12 {
		t.Fatalf("%d hints, want every status's and limit's: %q", len(hints), hints)
	}
	return hints, err
}
