package cl_test

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestAddressSpaceShort: under an address-space limit (ulimit -v) that
// leaves less room than a driver takes, Load opens no library and says
// why: loading pocl there aborted the process in pthread_create (exit 2,
// a goroutine dump), or failed with a hint to install the driver that was
// there. The limit is injected (1.3 GB, 1.296 GB of it mapped, 2 CPUs), so
// the child loads nothing for real; with room enough, Load goes on.
func TestAddressSpaceShort(t *testing.T) {
	switch os.Getenv(envChild) {
	case "short":
		cl.FakeAddressSpace(t, 1300000<<10, 1296372<<10, 2)
		err := cl.Load()
		if !errors.Is(err, cl.ErrAddressSpace) || !errors.Is(err, cl.ErrEnvironment) || errors.Is(err, cl.ErrNoLibrary) || errors.Is(err, cl.ErrNoPlatform) {
			t.Fatalf("Load() = %v, want an error matching ErrAddressSpace and ErrEnvironment only", err)
		}
		want := "OpenCL not loaded: the address-space limit (ulimit -v 1300000, 1.33 GB) leaves 3.72 MB, and loading a driver and opening a device takes about 487 MB here (2 CPUs)"
		if err.Error() != want {
			t.Errorf("Load() = %q, want %q", err, want)
		}
		if h := cl.HintFor(err); !strings.Contains(h, "raise the limit to ulimit -v 2270000 or more, which leaves room to compile") || !strings.Contains(h, "ulimit -v unlimited") || !strings.Contains(h, "--engine simd") {
			t.Errorf("hint %q does not say how to proceed", h)
		}
		if maps, _ := os.ReadFile("/proc/self/maps"); strings.Contains(string(maps), "OpenCL") || strings.Contains(string(maps), "pocl") {
			t.Errorf("a library was loaded:\n%s", maps)
		}
		return
	case "roomy":
		cl.FakeAddressSpace(t, 8<<30, 1<<30, 2)
		if err := cl.Load(); errors.Is(err, cl.ErrAddressSpace) {
			t.Fatalf("Load() with 7 GiB left = %v", err)
		}
		return
	}
	runChild(t, "TestAddressSpaceShort", "short")
	runChild(t, "TestAddressSpaceShort", "roomy")
}

// TestAddressSpaceScales: the estimate grows with the CPUs (a worker
// thread each, with its stack and malloc arena), so a limit that leaves
// room on 2 CPUs does not on 64.
func TestAddressSpaceScales(t *testing.T) {
	cl.FakeAddressSpace(t, 0, 0, 2)
	if got := cl.DriverAddressSpace(); got != 464<<20 {
		t.Errorf("2 CPUs: %d bytes, want %d", got, uint64(464<<20))
	}
	cl.FakeAddressSpace(t, 0, 0, 64)
	if got := cl.DriverAddressSpace(); got != (320+64*72)<<20 {
		t.Errorf("64 CPUs: %d bytes, want %d", got, uint64((320+64*72)<<20))
	}
}

// TestOutOfHostMemoryHint: CL_OUT_OF_HOST_MEMORY under an address-space
// limit names the limit (clGetDeviceIDs failed so under ulimit -v 1900000,
// and the advice was to lower the chunk size); without one the
// plain advice stands.
func TestOutOfHostMemoryHint(t *testing.T) {
	err := &cl.Error{Code: -6, Op: "clGetDeviceIDs"}
	cl.FakeAddressSpace(t, 0, 0, 2)
	if h := err.Hint(); !strings.Contains(h, "the host ran out of memory") {
		t.Errorf("no limit: hint %q", h)
	}
	cl.FakeAddressSpace(t, 1600000<<10, 1500000<<10, 2)
	h := cl.HintFor(err)
	for _, w := range []string{"ulimit -v 1600000", "1.64 GB", "102 MB left", "is the likely cause", "ulimit -v unlimited", "--engine simd"} {
		if !strings.Contains(h, w) {
			t.Errorf("hint %q lacks %q", h, w)
		}
	}
}

// TestBuildAddressSpaceShort: under an address-space limit that leaves a
// loaded driver less room than compiling gpusim's kernels takes,
// BuildProgram builds nothing and says why, naming the limit and the
// cache: pocl's code generation there (ulimit -v 1950000, 394 MB left)
// died of SIGSEGV in clGetProgramInfo, with a page of Go's trace. The limit
// is injected, so no driver is called; with room enough, or no limit, the
// check lets the build go on.
func TestBuildAddressSpaceShort(t *testing.T) {
	cl.FakeAddressSpace(t, 1950000<<10, 1602486272, 2)
	_, err := cl.BuildProgram(nil, nil, "kernel void k(void) {}", "")
	if !errors.Is(err, cl.ErrAddressSpace) || !errors.Is(err, cl.ErrEnvironment) {
		t.Fatalf("BuildProgram() = %v, want an error matching ErrAddressSpace", err)
	}
	want := "OpenCL program not built: the address-space limit (ulimit -v 1950000, 2 GB) leaves 394 MB with the driver loaded, and compiling gpusim's kernels takes about 440 MB more (a compiled program in gpusim's cache takes none)"
	if err.Error() != want {
		t.Errorf("BuildProgram() = %q, want %q", err, want)
	}
	if h := cl.HintFor(err); !strings.Contains(h, "raise the limit to ulimit -v 2200000 or more") || !strings.Contains(h, "GPUSIM_CACHE_DIR") || !strings.Contains(h, "--engine simd") {
		t.Errorf("hint %q does not say how to proceed", h)
	}
	for _, c := range []struct{ limit, mapped uint64 }{{0, 0}, {1602486272 + cl.BuildAddressSpace, 1602486272}} {
		cl.FakeAddressSpace(t, c.limit, c.mapped, 2)
		if cl.BuildAddressSpaceShort() != nil {
			t.Errorf("limit %d, %d mapped: the build is refused", c.limit, c.mapped)
		}
	}
}

// TestBufferAddressSpaceShort: under an address-space limit that leaves a
// loaded driver less room than a buffer, the context's live buffers and
// bufferSlack take, CreateBuffer makes nothing and says why: pocl maps a
// buffer on its first use, and under ulimit -v 2000000 --engine opencl
// --lanes 5e7 --out (two 200 MB finals buffers, 236 MB left) aborted in an
// assertion, exit 134 with no word of gpusim's. The limit is injected, and
// the refusal comes before any driver call; with room, or no limit, the
// check lets the buffer be made.
func TestBufferAddressSpaceShort(t *testing.T) {
	const mapped = 1800000000
	cl.FakeAddressSpace(t, 2000000<<10, mapped, 2)
	_, err := cl.CreateBuffer(nil, cl.MemReadWrite, 200e6)
	if !errors.Is(err, cl.ErrAddressSpace) || !errors.Is(err, cl.ErrEnvironment) {
		t.Fatalf("CreateBuffer(200 MB) = %v, want an error matching ErrAddressSpace", err)
	}
	want := "OpenCL buffer of 200 MB not allocated: the address-space limit (ulimit -v 2000000, 2.05 GB) leaves 248 MB with the driver loaded, and the run's device buffers take 267 MB with the driver's use of them"
	if err.Error() != want {
		t.Errorf("CreateBuffer(200 MB) = %q, want %q", err, want)
	}
	if h := cl.HintFor(err); !strings.Contains(h, "raise the limit to ulimit -v 2090000 or more") || !strings.Contains(h, "--shard") || !strings.Contains(h, "--engine simd") {
		t.Errorf("hint %q does not say how to proceed", h)
	}
	// A small buffer is named in kB, not as 0.0164 MB: under 2000000 the
	// run's 16 kB histogram was the one refused at --lanes 1e8, whose host
	// finals had taken the room.
	cl.FakeAddressSpace(t, mapped+34.8e6, mapped, 2)
	if _, err := cl.CreateBuffer(nil, cl.MemReadWrite, 16392); err == nil || !strings.HasPrefix(err.Error(), "OpenCL buffer of 16.4 kB not allocated") {
		t.Errorf("CreateBuffer(16392) = %v, want it refused as a buffer of 16.4 kB", err)
	}
	// A sum past 2^64 is refused, not wrapped to a small need.
	if _, err := cl.CreateBuffer(nil, cl.MemReadWrite, math.MaxInt); !errors.Is(err, cl.ErrAddressSpace) {
		t.Errorf("CreateBuffer(MaxInt) = %v, want an error matching ErrAddressSpace", err)
	}
}

// TestBufferAddressSpaceLive: the context's live buffers count against the
// room, as pocl maps them all once the run's first launch uses them, and a
// released one no longer does. Needs an OpenCL device.
func TestBufferAddressSpaceLive(t *testing.T) {
	_, ctx, _ := cltest.Setup(t)
	const mapped = 1 << 30
	room := uint64(3 << 20)
	cl.FakeAddressSpace(t, mapped+cl.BufferSlack+room, mapped, 2)
	a, err := cl.CreateBuffer(ctx, cl.MemReadWrite, 2<<20)
	if err != nil {
		t.Fatalf("first buffer, within the room: %v", err)
	}
	if _, err := cl.CreateBuffer(ctx, cl.MemReadWrite, 2<<20); !errors.Is(err, cl.ErrAddressSpace) {
		t.Fatalf("second buffer, past the room with the first: %v, want an error matching ErrAddressSpace", err)
	}
	a.Release()
	a.Release() // idempotent: counted off once
	b, err := cl.CreateBuffer(ctx, cl.MemReadWrite, 3<<20)
	if err != nil {
		t.Fatalf("a buffer of the room once the first is released: %v", err)
	}
	b.Release()
}

// TestRunAddressSpaceShort: a run's buffers are weighed all at once, with
// the host memory it has yet to allocate, and the hint names the whole
// run's need: under ulimit -v 2000000 --engine opencl --lanes 1e8 --out
// was refused for want of 32 MB at its first finals buffer, where its two
// 268 MB finals buffers and its 403 MB of finals in host memory needed
// some 570 MB more. The limit is injected; with room, or no limit, the run
// goes on.
func TestRunAddressSpaceShort(t *testing.T) {
	const mapped = 1610000000
	cl.FakeAddressSpace(t, 2000000<<10, mapped, 2)
	err := cl.RunAddressSpaceShort(nil, 536887296, 402653184)
	if !errors.Is(err, cl.ErrAddressSpace) || !errors.Is(err, cl.ErrEnvironment) {
		t.Fatalf("RunAddressSpaceShort() = %v, want an error matching ErrAddressSpace", err)
	}
	want := "OpenCL run not started: the address-space limit (ulimit -v 2000000, 2.05 GB) leaves 438 MB with the driver loaded, and the run takes 1.01 GB: 537 MB of device buffers, 403 MB of the finals' copy in host memory and 67.1 MB for the driver's use of them"
	if err.Error() != want {
		t.Errorf("RunAddressSpaceShort() = %q, want %q", err, want)
	}
	if h := cl.HintFor(err); !strings.Contains(h, "raise the limit to ulimit -v 2630000 or more") || !strings.Contains(h, "--shard") || !strings.Contains(h, "--engine simd") {
		t.Errorf("hint %q does not name the whole run's need or how to proceed", h)
	}
	// Without host memory to come, none is named.
	if err := cl.RunAddressSpaceShort(nil, 536887296, 0); err == nil || strings.Contains(err.Error(), "host memory") || !strings.Contains(err.Error(), "takes 604 MB: 537 MB of device buffers and 67.1 MB") {
		t.Errorf("RunAddressSpaceShort(no host bytes) = %v", err)
	}
	// Exactly the room fits; a sum past 2^64 does not wrap to a small need.
	room := uint64(2000000<<10 - mapped)
	if err := cl.RunAddressSpaceShort(nil, room-cl.BufferSlack-1000, 1000); err != nil {
		t.Errorf("a run of the room: %v", err)
	}
	if err := cl.RunAddressSpaceShort(nil, room-cl.BufferSlack-1000, 1001); !errors.Is(err, cl.ErrAddressSpace) {
		t.Errorf("a run a byte past the room: %v", err)
	}
	if err := cl.RunAddressSpaceShort(nil, math.MaxUint64, 1); !errors.Is(err, cl.ErrAddressSpace) {
		t.Errorf("a run past 2^64 bytes: %v, want an error matching ErrAddressSpace", err)
	}
	cl.FakeAddressSpace(t, 0, 0, 2)
	if err := cl.RunAddressSpaceShort(nil, math.MaxUint64, math.MaxUint64); err != nil {
		t.Errorf("no limit: %v", err)
	}
}

// TestAddressSpaceTerabytes: sizes under a limit of terabytes are written
// in TB, as gpusim's other messages write them: they read "4e+03 GB".
func TestAddressSpaceTerabytes(t *testing.T) {
	if math.MaxInt < 1.5e12 {
		t.Skip("a buffer of 1.5 TB has no size in a 32-bit int")
	}
	cl.FakeAddressSpace(t, 4e12>>10<<10, 3e12, 2)
	_, err := cl.CreateBuffer(nil, cl.MemReadWrite, int(min(1.5e12, math.MaxInt)))
	if !errors.Is(err, cl.ErrAddressSpace) {
		t.Fatalf("CreateBuffer(1.5 TB) = %v, want an error matching ErrAddressSpace", err)
	}
	if s := err.Error(); !strings.HasPrefix(s, "OpenCL buffer of 1.5 TB not allocated: the address-space limit (ulimit -v 3906250000, 4 TB) leaves 1 TB") || strings.Contains(s, "e+") {
		t.Errorf("CreateBuffer(1.5 TB) = %q, want its sizes in TB", s)
	}
}

// TestRunMemoryShort: a run's buffers in host memory (a CPU device's) and
// its finals' copy are weighed all at once against the memory available
// (MemAvailable, a cgroup's room), and the error names both: --engine
// opencl --lanes 1.37e8 --out under a 600 MB cgroup limit passed the
// per-lane outputs' check (the finals alone) and was killed out of memory
// with pocl's two 268 MB finals buffers besides. With room, or nothing
// known, or nothing in host memory, the run goes on.
func TestRunMemoryShort(t *testing.T) {
	cl.FakeMemAvailable(t, 607e6, true)
	err := cl.RunMemoryShort(nil, 536887296, 603979776, true)
	if !errors.Is(err, cl.ErrMemory) || !errors.Is(err, cl.ErrEnvironment) || errors.Is(err, cl.ErrAddressSpace) {
		t.Fatalf("RunMemoryShort() = %v, want an error matching ErrMemory", err)
	}
	want := "OpenCL run not started: 607 MB of memory are available with the driver loaded (MemAvailable, or the room under the cgroup's memory limit), and the run takes 1.14 GB: 537 MB of device buffers in host memory and 604 MB of the finals' copy in host memory"
	if err.Error() != want {
		t.Errorf("RunMemoryShort() = %q, want %q", err, want)
	}
	if h := cl.HintFor(err); !strings.Contains(h, "--shard") || !strings.Contains(h, "without --out") || !strings.Contains(h, "--engine simd") {
		t.Errorf("hint %q does not say how to proceed", h)
	}
	if err := cl.RunMemoryShort(nil, 0, 7e8, true); err == nil || strings.Contains(err.Error(), "device buffers") {
		t.Errorf("RunMemoryShort(a GPU's buffers) = %v, want the finals' copy alone named", err)
	}
	for _, c := range []struct{ device, host uint64 }{{607e6 - 1000, 1000}, {0, 0}, {606e6, 0}} {
		if err := cl.RunMemoryShort(nil, c.device, c.host, false); err != nil {
			t.Errorf("RunMemoryShort(%d, %d) with 607e6 available: %v", c.device, c.host, err)
		}
	}
	if err := cl.RunMemoryShort(nil, math.MaxUint64, 1, true); !errors.Is(err, cl.ErrMemory) {
		t.Errorf("a run past 2^64 bytes: %v, want an error matching ErrMemory", err)
	}
	// A run that keeps no finals (--daily on several devices) is not told
	// to run without --out.
	if err := cl.RunMemoryShort(nil, 7e8, 0, false); !errors.Is(err, cl.ErrMemory) || strings.Contains(cl.HintFor(err), "--out") || !strings.Contains(cl.HintFor(err), "--shard") {
		t.Errorf("RunMemoryShort(no finals kept) = %v, hint %q", err, cl.HintFor(err))
	}
	cl.FakeMemAvailable(t, 0, false)
	if err := cl.RunMemoryShort(nil, math.MaxUint64, math.MaxUint64, true); err != nil {
		t.Errorf("nothing known: %v", err)
	}
}
