package cl

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/sysmem"
)

// ErrAddressSpace matches Load's error where the process's address-space
// limit (RLIMIT_AS, ulimit -v) leaves too little room to load a driver and
// open a device, checked before any library is opened, or where a load
// failed for want of it. The driver may well be installed: it matches
// ErrEnvironment, not ErrNoLibrary or ErrNoPlatform.
var ErrAddressSpace = fmt.Errorf("%w: too little address space under ulimit -v", ErrEnvironment)

// Test hooks: the limit and what is mapped (sysmem.AddressSpace), and the
// CPU count the estimate scales with.
var (
	addressSpace = sysmem.AddressSpace
	numCPU       = runtime.NumCPU
)

// The address space that loading an OpenCL driver and opening a device add
// to the process: driverBaseBytes plus driverPerCPUBytes for each CPU.
// Measured with pocl 3.1 (LLVM 15) on this project's 2-CPU VM, in VmSize:
// gpusim maps 1.62-1.76 GB before the load (mostly the Go runtime's
// reservations and its threads'), and 2.17-2.23 GB with a device open and
// a run under way, 9 threads: +0.48 GB. Of that, dlopen maps 0.31 GB of
// libraries (libLLVM, libclang-cpp, ICU, z3 and pocl itself), then pocl's
// CPU device starts a worker thread per CPU, each with an 8 MiB stack and
// a 64 MiB glibc malloc arena (glibc makes up to 8 per CPU): 156 MB for
// two. So 320 MiB (the libraries, the compiled kernel's shared object and
// the Go threads that call the driver) plus 72 MiB per CPU: 487 MB on two
// CPUs, 5.2 GB on 64. With this much left at the load, runs were
// reliable: under ulimit -v 2200000 (2.25 GB) 0.57-0.64 GB were left;
// under 1900000, with 0.26-0.33 GB left, pocl loaded and some runs
// aborted in pthread_create ("fakecgo: pthread_create failed: 11") or
// died of Go's "fatal error: runtime: cannot allocate memory" after
// clGetDeviceIDs failed (CL_OUT_OF_HOST_MEMORY) and auto fell back to
// simd. (Under some lower limits, 1.2 and 1.3 GB here, Go's runtime fails
// to start its own threads before any of gpusim runs, OpenCL or not.)
// pocl is the smallest of the drivers: NVIDIA's reserves far more address
// space, and a load that fails under a limit anyway says so
// (addressSpaceHint).
const (
	driverBaseBytes   = 320 << 20
	driverPerCPUBytes = 72 << 20
)

// DriverAddressSpace is the address space, in bytes, Load expects loading a
// driver and opening a device to take on this machine: 320 MiB plus 72 MiB
// a CPU (runtime.NumCPU), measured with pocl (driverBaseBytes).
func DriverAddressSpace() uint64 {
	return driverBaseBytes + driverPerCPUBytes*uint64(max(numCPU(), 1))
}

// AddressLimited reports whether the process has an address-space limit
// (ulimit -v), under which the checks of Load, BuildProgram, CreateBuffer
// and RunAddressSpaceShort weigh each step against the room left as it
// starts: steps taken at once would each find the room the others are
// about to take.
func AddressLimited() bool {
	_, _, limited := addressSpace()
	return limited
}

// addressRoom is the address-space limit, the room it leaves beside what
// the process has mapped (0 where that is more), and whether a limit is set.
func addressRoom() (limit, room uint64, limited bool) {
	limit, mapped, limited := addressSpace()
	if mapped < limit {
		room = limit - mapped
	}
	return limit, room, limited
}

// addressSpaceShort returns the error that stands in for loading OpenCL
// when an address-space limit leaves less room than DriverAddressSpace, or
// nil: a driver loaded there leaves no room for the threads that Go and
// the driver start next, and the process aborts in C (pthread_create), where
// no recover() reaches.
func addressSpaceShort() error {
	limit, room, limited := addressRoom()
	if !limited {
		return nil
	}
	need := DriverAddressSpace()
	if room >= need {
		return nil
	}
	// The limit named leaves room for the first run's compile too, so
	// that it is not refused again there.
	return &UnavailableError{Kind: ErrAddressSpace,
		Cause: fmt.Sprintf("OpenCL not loaded: the address-space limit (ulimit -v %d, %s) leaves %s, and loading a driver and opening a device takes about %s here (%d CPUs)",
			limit>>10, diskfree.SizeText(limit), diskfree.SizeText(room), diskfree.SizeText(need), max(numCPU(), 1)),
		Hint: fmt.Sprintf("raise the limit to %s, which leaves room to compile gpusim's kernels too (the first run does, and stores them in gpusim's cache), or lift it (ulimit -v unlimited); or "+useCPU,
			sysmem.RaiseLimit(limit, need+BuildAddressSpace-room))}
}

// BuildAddressSpace is the address space that building a program from
// source and reading its binary back (Program.Binary) add once a driver is
// loaded and a device open, on top of DriverAddressSpace: measured with
// pocl 3.1 (LLVM 15) on 2 CPUs, gpusim's kernels and self-test, VmSize
// 1.60 GB before clBuildProgram and 1.72 GB after it, and then
// clGetProgramInfo(CL_PROGRAM_BINARIES), where pocl generates each
// kernel's code, died of SIGSEGV in the driver (a NULL from malloc, no
// word of the limit) every time with 394 MB left before the build (ulimit
// -v 1950000, 3 of 3, and 8 of 8 from 1800000 to 1950000 with the cache
// off), and ran with
// 415 MB left (1970000, 3 of 3, and every run from there to 2300000). It
// counts 25 MB more, as VmSize moves by a few MB between starts. A program
// loaded from gpusim's cache is not built, and needs none of it.
const BuildAddressSpace = 420 << 20

// buildRetained is the address space a build from source leaves mapped
// after it, which a second build in the same process (a cold start builds
// the engine's program and then the self-test's) finds gone: VmSize 1.60
// GB before clBuildProgram and 1.72 GB after it (above). A build's hint
// counts it, so that the limit it names runs a cold start whole: CI61's
// run under the limit named for ulimit -v 1800000 (2070000) built the
// engine's program and was refused the self-test's, 70 MB short.
const buildRetained = 128 << 20

// buildAddressSpaceShort returns the error that stands in for building a
// program from source when an address-space limit leaves less room than
// BuildAddressSpace, or nil: pocl's code generation there crashed the
// process in C, where no recover() reaches.
func buildAddressSpaceShort() error {
	limit, room, limited := addressRoom()
	if !limited {
		return nil
	}
	if room >= BuildAddressSpace {
		return nil
	}
	return &UnavailableError{Kind: ErrAddressSpace,
		Cause: fmt.Sprintf("OpenCL program not built: the address-space limit (ulimit -v %d, %s) leaves %s with the driver loaded, and compiling gpusim's kernels takes about %s more (a compiled program in gpusim's cache takes none)",
			limit>>10, diskfree.SizeText(limit), diskfree.SizeText(room), diskfree.SizeText(BuildAddressSpace)),
		Hint: fmt.Sprintf("raise the limit to %s, or lift it (ulimit -v unlimited), %s; or "+useCPU,
			sysmem.RaiseLimit(limit, BuildAddressSpace-room+buildRetained), firstRunClause())}
}

// bufferSlack is the address space that CreateBuffer leaves beside a
// context's buffers under an address-space limit: the driver's own
// allocations for the commands that use them and the threads that run
// them. pocl maps a buffer's memory on its first use, not at
// clCreateBuffer, and where that mapping fails it aborts the process (an
// assertion in pocl_create_migration_commands, exit 134, no word of the
// limit): --engine opencl --lanes 5e7 --out under ulimit -v 2000000, two
// 200 MB finals buffers, aborted every time, and 2e7 lanes (160 MB) ran.
// Measured with pocl 3.1 on 2 CPUs, whose CPU device's buffers are host
// memory; a GPU's may not be, and are counted the same.
const bufferSlack = 64 << 20

// bufferAddressSpaceShort returns the error that stands in for creating a
// buffer of size bytes in a context whose live buffers take live bytes
// when an address-space limit leaves less room than their sum and
// bufferSlack, or nil. The buffers are counted whole, whether the driver
// has mapped them yet or not.
func bufferAddressSpaceShort(size, live uint64) error {
	limit, room, limited := addressRoom()
	if !limited {
		return nil
	}
	need := count.SatAdd(size, live, bufferSlack)
	if room >= need {
		return nil
	}
	return &UnavailableError{Kind: ErrAddressSpace,
		Cause: fmt.Sprintf("OpenCL buffer of %s not allocated: the address-space limit (ulimit -v %d, %s) leaves %s with the driver loaded, and the run's device buffers take %s with the driver's use of them",
			diskfree.SizeText(size), limit>>10, diskfree.SizeText(limit), diskfree.SizeText(room), diskfree.SizeText(need)),
		Hint: bufferHint(limit, need-room)}
}

// RunAddressSpaceShort returns the error that stands in for a run, before
// it creates any buffer, when an address-space limit (ulimit -v) leaves
// less room than all it will take: its device buffers in ctx (device
// bytes, each counted whole as CreateBuffer counts it), the host memory it
// will allocate besides (host bytes: the finals' copy in Go memory where it
// is not allocated yet), ctx's live buffers and bufferSlack. nil without a
// limit or with room; else an *UnavailableError matching ErrAddressSpace
// whose hint names the whole run's need, where CreateBuffer's names only
// what the one buffer it refuses lacks.
func RunAddressSpaceShort(ctx *Context, device, host uint64) error {
	limit, room, limited := addressRoom()
	if !limited {
		return nil
	}
	live := uint64(0)
	if ctx != nil {
		live = ctx.live.Load()
	}
	need := count.SatAdd(device, host, live, bufferSlack)
	if room >= need {
		return nil
	}
	parts := diskfree.SizeText(count.SatAdd(device, live)) + " of device buffers"
	if host > 0 {
		parts += ", " + diskfree.SizeText(host) + " of the finals' copy in host memory"
	}
	return &UnavailableError{Kind: ErrAddressSpace,
		Cause: fmt.Sprintf("OpenCL run not started: the address-space limit (ulimit -v %d, %s) leaves %s with the driver loaded, and the run takes %s: %s and %s for the driver's use of them",
			limit>>10, diskfree.SizeText(limit), diskfree.SizeText(room), diskfree.SizeText(need), parts, diskfree.SizeText(bufferSlack)),
		Hint: bufferHint(limit, need-room)}
}

// ErrMemory matches RunMemoryShort's error: a run whose buffers in host
// memory do not fit the memory available. It matches ErrEnvironment.
var ErrMemory = fmt.Errorf("%w: too little memory for the run's buffers", ErrEnvironment)

// memAvailable is sysmem.MachineAvailable; tests replace it.
var memAvailable = sysmem.MachineAvailable

// RunMemoryShort returns the error that stands in for a run, before it
// creates any buffer, when the memory available (MemAvailable, and the
// room under the process's cgroup memory limits: sysmem.MachineAvailable)
// is less than the host memory it will take: its device buffers where
// they are host memory (device bytes: a CPU device's, pocl's, whose
// buffers the kernel charges to the process; 0 for a GPU's), the finals'
// copy in Go memory where it is not allocated yet (host bytes) and ctx's
// live buffers. nil where they fit or nothing is known; else an
// *UnavailableError matching ErrMemory, whose hint names running without
// --out where the run keeps its finals (keeps). The per-lane outputs' own check
// counts the finals' copy alone, before any engine opens: --engine opencl
// --lanes 1.37e8 --out under a 600 MB cgroup limit passed it (0.556 GB of
// 0.626) and was killed out of memory, exit 137, with its two 268 MB
// finals buffers on pocl's CPU device besides; under ulimit -v the same run
// was refused (RunAddressSpaceShort).
func RunMemoryShort(ctx *Context, device, host uint64, keeps bool) error {
	if device == 0 && host == 0 {
		return nil
	}
	avail, ok := memAvailable()
	if !ok {
		return nil
	}
	live := uint64(0)
	if ctx != nil && device > 0 {
		live = ctx.live.Load()
	}
	need := count.SatAdd(device, host, live)
	if need <= avail {
		return nil
	}
	var parts []string
	if d := count.SatAdd(device, live); d > 0 {
		parts = append(parts, diskfree.SizeText(d)+" of device buffers in host memory")
	}
	if host > 0 {
		parts = append(parts, diskfree.SizeText(host)+" of the finals' copy in host memory")
	}
	hint := remedyShard
	if keeps {
		hint += remedySep + remedyNoFinals
	}
	return &UnavailableError{Kind: ErrMemory,
		Cause: fmt.Sprintf("OpenCL run not started: %s of memory are available with the driver loaded (MemAvailable, or the room under the cgroup's memory limit), and the run takes %s: %s",
			diskfree.SizeText(avail), diskfree.SizeText(need), strings.Join(parts, " and ")),
		Hint: hint + remedySep + useCPU}
}

// bufferHint is the hint of a run refused for want of short bytes of
// address space under a limit of limit bytes.
func bufferHint(limit, short uint64) string {
	return fmt.Sprintf("raise the limit to %s, or lift it (ulimit -v unlimited)%s%s%s"+useCPU,
		sysmem.RaiseLimit(limit, short), remedySep, remedyShard, remedySep)
}

// addressSpaceHint is the hint for a load or a driver's call that ran out
// of memory (ENOMEM, a segment that could not be mapped,
// CL_OUT_OF_HOST_MEMORY) where an address-space limit is set, which is the
// likely cause: it names the limit and what is left, after what (a
// sentence's start, or ""). "" without a limit.
func addressSpaceHint(what string) string {
	limit, mapped, limited := addressSpace()
	if !limited {
		return ""
	}
	room := uint64(0)
	if mapped < limit {
		room = limit - mapped
	}
	return fmt.Sprintf("%sthe address-space limit (ulimit -v %d, %s; %s left) is the likely cause: OpenCL takes about %s of address space here; raise the limit or lift it (ulimit -v unlimited), or "+useCPU,
		what, limit>>10, diskfree.SizeText(limit), diskfree.SizeText(room), diskfree.SizeText(DriverAddressSpace()))
}

// outOfMemory reports whether a dynamic loader's message says it ran out
// of address space.
func outOfMemory(msg string) bool {
	return strings.Contains(msg, "Cannot allocate memory") || strings.Contains(msg, "failed to map segment")
}
