//go:build unix && !openbsd

package sysmem

import (
	"math"
	"runtime"
	"syscall"

	gothreads "github.com/gpusim/gpusim/internal/threads"
)

// status is the file addressSpace and threads read; tests point it elsewhere.
var status = "/proc/self/status"

// addressRoom returns the address space left under the process's
// RLIMIT_AS (ulimit -v) less what it has mapped (VmSize of
// /proc/self/status), and whether a limit is set: a run that fits in
// memory but not under the limit dies with Go's "fatal error: out of
// memory", leaving its temporary files.
func addressRoom() (uint64, bool) {
	limit, mapped, limited := addressSpace()
	if !limited || mapped >= limit {
		return 0, limited
	}
	return limit - mapped, true
}

// addressSpace returns the process's RLIMIT_AS and VmSize, and whether a
// limit is set and VmSize known. Where VmSize cannot be read (no
// /proc/self/status: FreeBSD, NetBSD, a Linux without /proc mounted) the
// limit counts as unknown, as where there is no RLIMIT_AS
// (rlimit_other.go): nothing is refused for it, and no room is claimed
// under it. It counted VmSize as 0 there, so the whole limit was room
// though Go's runtime reserves some 1.2 GB of it (RunRoom): a run the
// check refuses on Linux started, and died out of memory.
func addressSpace() (limit, mapped uint64, limited bool) {
	limit, limited = rlimitAS()
	if !limited {
		return 0, 0, false
	}
	mapped, ok := vmSize()
	if !ok {
		return 0, 0, false
	}
	return limit, mapped, true
}

// rlimitAS is the soft RLIMIT_AS, and whether one is set; tests replace it.
var rlimitAS = func() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil {
		return 0, false
	}
	// Cur is uint64 on Linux and int64 on the BSDs, whose RLIM_INFINITY
	// is 2^63-1; no real limit is near 2^62.
	limit := uint64(rl.Cur)
	if limit >= 1<<62 {
		return 0, false
	}
	return limit, true
}

// hardAS is the hard RLIMIT_AS, and whether one is set.
func hardAS() (uint64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil || uint64(rl.Max) >= 1<<62 {
		return 0, false
	}
	return uint64(rl.Max), true
}

// vmSize is the process's mapped address space in bytes, and whether it
// could be read.
func vmSize() (uint64, bool) { return procNumber(status, "VmSize", true) }

// RunRoom is the address space a run needs left under an address-space
// limit once Go's runtime has started: 32 MiB for the heap and what Go maps
// beside it, and a stack (RLIMIT_STACK, ulimit -s, which pthread_create
// takes for a thread) for each thread a run may still start: it ends with
// up to GOMAXPROCS + runSpare, at least two more than have started. Go's runtime reserves about 1.2 GB before any of
// gpusim runs (on Linux amd64: 512 MiB for its page allocator's summaries
// and 512 MiB for its scavenger's index, both over the whole 48-bit address
// space, and a 64 MiB heap arena), so with gpusim's first threads VmSize
// starts at 1.25 GiB, and in some starts (3 of 30 on 2 CPUs, with one malloc
// arena) 64 MiB more. Measured on 2 CPUs with one malloc arena: runs of
// --lanes 1e6 --daily that started with 50 MiB or more left ran (20 of 20
// under ulimit -v 1360000 and 1380000 but for the starts 64 MiB larger,
// which died of Go's "fatal error: out of memory" with 5 to 25 MiB left).
//
// The threads beyond GOMAXPROCS are counted as the process limit's fit
// counts them (runSpare), not the 5 counted before (7 on 2 CPUs, 20 with
// GOMAXPROCS=16 on a quiet machine): a run with GOMAXPROCS=18 and stdout a
// pipe ran 24 and 25 threads (the pipe's watch holds one in poll(2)), and
// under ulimit -v 1400000 it then had 2.8 MB left where its heap had taken
// a second arena (Go 1.26 starts the heap at a random offset in its first
// arena, so a heap of a few MiB reaches the next one in some runs: 3 of
// 20); in a run of the full suite at a load of 15 to 27 it aborted in
// pthread_create there.
func RunRoom() uint64 {
	more := max(runtime.GOMAXPROCS(0)+runSpare-threads(), 2)
	return 32<<20 + uint64(more)*stackLimit()
}

// runSpare is the threads a run starts beyond GOMAXPROCS that the
// address-space fit counts: the most Go's runtime ran (threads.GoSpare)
// and the margin a loaded machine adds (threads.GoMargin), as the process
// limit's fit counts them (threads.FitProcs).
const runSpare = gothreads.GoSpare + gothreads.GoMargin

// LeastRunRoom is the address space the least run needs left under an
// address-space limit once Go's runtime has started: RunRoom's 32 MiB and
// two stacks, the threads a run on one worker still starts. A run of
// --lanes 1e4 on the serial engine ran where RunRoom's stack for every CPU
// was not left (3 of 3 under ulimit -v 1400000 with 64 CPUs' threads
// counted); one that starts a thread per CPU then may abort.
func LeastRunRoom() uint64 { return 32<<20 + 2*stackLimit() }

// FitProcs is the most GOMAXPROCS under which a run's threads fit in the
// address space left under an address-space limit (ulimit -v), by
// RunRoom's count of threads (a stack for each thread the run may still
// start, GOMAXPROCS + runSpare in all) with fitHeap for the heap, and whether
// that is less than GOMAXPROCS now; 1 at least, and GOMAXPROCS and false
// where no limit is set or RunRoom is left. Go starts a thread for each P
// that runs goroutines, so a run with GOMAXPROCS set to it starts no more
// threads than fit, where one with a thread per CPU aborted in
// pthread_create ("fakecgo: pthread_create failed: 11", a page of Go's
// trace) as the engine's workers started: 3 of 3 runs of --engine
// parallel --lanes 1e6 with GOMAXPROCS=16 under ulimit -v 1400000 on 2
// CPUs, 84 MB left where 159 MB was needed.
//
// It counts more than RunRoom, as Go's heap and metadata grow with the
// threads and Ps a run has: fitHeap, a heap arena (64 MiB, not 32), and
// fitThread, 512 KiB, for each thread beside its stack. A run with
// GOMAXPROCS=24 and 2 MiB stacks grew by 114 MB from its start (22 threads
// more); with 32 MiB and a stack counted, 1 of 8 such runs with
// GOMAXPROCS=64 (capped at 40, 113 MB left) died of Go's "fatal error: out
// of memory" with 15 MB of heap in use, and with 64 MiB 1 of 8 (capped at
// 24, 115 MB left) of "cannot allocate memory".
func FitProcs() (procs int, capped bool) {
	const fitHeap, fitThread = 64 << 20, 512 << 10
	procs = runtime.GOMAXPROCS(0)
	limit, mapped, limited := addressSpace()
	if !limited || (mapped <= limit && limit-mapped >= RunRoom()) {
		return procs, false
	}
	room := uint64(0)
	if mapped < limit {
		room = limit - mapped
	}
	more := 0 // the threads that fit: RunRoom's count solved for GOMAXPROCS
	if room > fitHeap {
		more = int(min((room-fitHeap)/(stackLimit()+fitThread), 1<<20))
	}
	fit := max(threads()+more-runSpare, 1)
	return min(fit, procs), fit < procs
}

// threads is the process's thread count (Threads of /proc/self/status), 0
// when unknown.
func threads() int {
	n, _ := procNumber(status, "Threads", false)
	return int(min(n, math.MaxInt32))
}

// getStack reads RLIMIT_STACK; tests replace it.
var getStack = func(rl *syscall.Rlimit) error { return syscall.Getrlimit(syscall.RLIMIT_STACK, rl) }

// threadStack is the stack glibc gives this process's threads where
// RestartForLimit ran it under a lower RLIMIT_STACK than its caller's, and
// gave the caller's back: glibc reads the limit once, as the program
// starts. 0 where that did not happen.
var threadStack uint64

// stackLimit is the stack glibc gives each thread this process starts:
// threadStack where RestartForLimit set one, else the soft RLIMIT_STACK,
// glibc's default thread stack size;
// where it is unlimited (ulimit -s unlimited, common on clusters), glibc's
// ARCH_STACK_DEFAULT_SIZE, 2 MiB on amd64 and arm64 (a thread's stack
// mapped 2 MiB there, where 8 MiB was counted), and 8 MiB elsewhere or
// where the limit is unknown.
func stackLimit() uint64 {
	if threadStack != 0 {
		return threadStack
	}
	var rl syscall.Rlimit
	if err := getStack(&rl); err != nil {
		return 8 << 20
	}
	if uint64(rl.Cur) >= 1<<40 {
		if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
			return 2 << 20
		}
		return 8 << 20
	}
	return uint64(rl.Cur)
}

// ShortOfRoom reports whether the address space left under the process's
// address-space limit is less than RunRoom, with the limit, what is mapped
// and what RunRoom needs; short is false where no limit is set.
func ShortOfRoom() (limit, mapped, need uint64, short bool) {
	limit, mapped, limited := addressSpace()
	if !limited {
		return 0, 0, 0, false
	}
	need = RunRoom()
	return limit, mapped, need, mapped > limit || limit-mapped < need
}

// ThreadStack is the stack, in bytes, glibc gives each thread this process
// starts (pthread_create's default: the soft RLIMIT_STACK as the program
// started, ulimit -s; see stackLimit), which is the stack C code called on
// Go's threads (an OpenCL driver's, its compiler's) runs on. 0 where it is
// not known.
func ThreadStack() uint64 { return stackLimit() }
