//go:build unix && !openbsd

package sysmem

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall"
	"testing"
)

// TestAddressSpace: the limit and VmSize are read as they are, and
// Available takes the room between them.
func TestAddressSpace(t *testing.T) {
	fake(t, map[string]string{"meminfo": meminfoText,
		"status": "Name:\tgpusim\nVmPeak:\t 2000000 kB\nVmSize:\t 1500000 kB\nThreads:\t6\n"})
	oldStatus, oldLimit := status, rlimitAS
	t.Cleanup(func() { status, rlimitAS = oldStatus, oldLimit })
	status = filepath.Join(filepath.Dir(meminfo), "status")

	rlimitAS = func() (uint64, bool) { return 0, false }
	if l, m, ok := AddressSpace(); ok || l != 0 || m != 0 {
		t.Errorf("no limit: AddressSpace() = %d, %d, %v", l, m, ok)
	}
	rlimitAS = func() (uint64, bool) { return 1600000 << 10, true }
	if l, m, ok := AddressSpace(); !ok || l != 1600000<<10 || m != 1500000<<10 {
		t.Errorf("AddressSpace() = %d, %d, %v, want %d, %d, true", l, m, ok, 1600000<<10, 1500000<<10)
	}
	if n, ok := Available(); !ok || n != 100000<<10 {
		t.Errorf("Available() = %d, %v, want the room under the limit, %d", n, ok, 100000<<10)
	}
	// The machine's memory for this process and its children is not
	// bounded by one process's address space.
	oldCgroups := cgroups
	cgroups = filepath.Join(t.TempDir(), "none") // no cgroup limit
	if n, ok := MachineAvailable(); !ok || n != 23349648<<10 {
		t.Errorf("MachineAvailable() = %d, %v, want MemAvailable's %d, not the room under the limit", n, ok, uint64(23349648)<<10)
	}
	cgroups = oldCgroups
	rlimitAS = func() (uint64, bool) { return 1000000 << 10, true } // below VmSize
	if n, ok := Available(); !ok || n != 0 {
		t.Errorf("over the limit: Available() = %d, %v, want 0, true", n, ok)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil {
		status, rlimitAS = oldStatus, oldLimit
		if _, m, ok := AddressSpace(); ok && m == 0 {
			t.Errorf("a limit is set here but VmSize reads 0")
		}
	}
}

// TestAddressSpaceUnknownMapped: where VmSize cannot be read (no
// /proc/self/status, as on FreeBSD and NetBSD, or one without the line)
// the limit counts as unknown, as where there is no RLIMIT_AS: nothing is
// refused and no room claimed for it. It took what was mapped as 0 and the
// whole limit as room, though Go's runtime has reserved some 1.2 GB of it.
func TestAddressSpaceUnknownMapped(t *testing.T) {
	fake(t, map[string]string{"meminfo": meminfoText, "status": "Name:\tgpusim\nThreads:\t6\n"})
	oldStatus, oldLimit, oldCgroups := status, rlimitAS, cgroups
	t.Cleanup(func() { status, rlimitAS, cgroups = oldStatus, oldLimit, oldCgroups })
	cgroups = filepath.Join(t.TempDir(), "none") // no cgroup limit
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
	rlimitAS = func() (uint64, bool) { return 1600000 << 10, true }
	avail, _ := memAvailable()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(64))
	for _, path := range []string{filepath.Join(filepath.Dir(meminfo), "missing"), filepath.Join(filepath.Dir(meminfo), "status")} {
		status = path
		if l, m, ok := AddressSpace(); ok {
			t.Errorf("%s: AddressSpace() = %d, %d, %v; want the limit unknown", path, l, m, ok)
		}
		if n, ok := Available(); !ok || n != avail {
			t.Errorf("%s: Available() = %d, %v; want MemAvailable's %d, not the limit's room", path, n, ok, avail)
		}
		if _, _, _, short := ShortOfRoom(); short {
			t.Errorf("%s: ShortOfRoom() is short with what is mapped unknown", path)
		}
		if procs, capped := FitProcs(); capped || procs != 64 {
			t.Errorf("%s: FitProcs() = %d, %v; want 64, false", path, procs, capped)
		}
		if l, ok := LimitHeap(); ok {
			t.Errorf("%s: LimitHeap() = %d, true; want no memory limit from an unknown room", path, l)
			debug.SetMemoryLimit(math.MaxInt64)
		}
	}
}

// TestShortOfRoom: under an address-space limit a run needs 32 MiB for
// its heap and a stack for each thread it may still start (up to GOMAXPROCS + runSpare in
// all, two at least) left once Go's runtime has started; a run with less
// died of Go's "fatal error: out of memory" or an abort in pthread_create.
func TestShortOfRoom(t *testing.T) {
	fake(t, map[string]string{"status": "Name:\tgpusim\nVmSize:\t 1300000 kB\nThreads:\t400\n"})
	oldStatus, oldLimit := status, rlimitAS
	t.Cleanup(func() { status, rlimitAS = oldStatus, oldLimit })
	status = filepath.Join(filepath.Dir(meminfo), "status")
	stack := stackLimit()
	need := 32<<20 + 2*stack // 400 threads started: two more at least
	if got := RunRoom(); got != need {
		t.Errorf("RunRoom() = %d with 400 threads, want %d", got, need)
	}
	rlimitAS = func() (uint64, bool) { return 0, false }
	if _, _, _, short := ShortOfRoom(); short {
		t.Errorf("no limit: short")
	}
	for _, c := range []struct {
		limit uint64
		short bool
	}{
		{1300000<<10 + need, false},
		{1300000<<10 + need - 1, true},
		{1200000 << 10, true}, // below VmSize
	} {
		rlimitAS = func() (uint64, bool) { return c.limit, true }
		limit, mapped, n, short := ShortOfRoom()
		if limit != c.limit || mapped != 1300000<<10 || n != need || short != c.short {
			t.Errorf("limit %d: ShortOfRoom() = %d, %d, %d, %v; want %d, %d, %d, %v", c.limit, limit, mapped, n, short, c.limit, 1300000<<10, need, c.short)
		}
	}
}

// TestFitProcs: where the room left under an address-space limit holds
// the least run's but not a thread per CPU's, GOMAXPROCS is capped at the
// threads that fit (RunRoom's count of threads solved for it, with a heap
// arena for the heap and 512 KiB a thread beside its stack, 1 at least),
// as a run
// with a thread per CPU aborted in pthread_create as its workers started;
// with RunRoom left, or no limit, it is not.
func TestFitProcs(t *testing.T) {
	fake(t, map[string]string{"status": "Name:\tgpusim\nVmSize:\t 1300000 kB\nThreads:\t6\n"})
	oldStatus, oldLimit, oldStack := status, rlimitAS, getStack
	t.Cleanup(func() { status, rlimitAS, getStack = oldStatus, oldLimit, oldStack })
	status = filepath.Join(filepath.Dir(meminfo), "status")
	getStack = func(rl *syscall.Rlimit) error { rl.Cur, rl.Max = 2<<20, 1<<62; return nil }
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(64))
	const mapped = 1300000 << 10
	for _, c := range []struct {
		room   uint64
		procs  int
		capped bool
	}{
		{0, 64, false},                 // no limit
		{32<<20 + 68*2<<20, 64, false}, // RunRoom: 64 + 10 - 6 threads
		{32<<20 + 68*2<<20 - 1, 37, true},
		{64<<20 + 15*5<<19, 11, true}, // a heap arena and 15 threads of 2.5 MiB: 6 + 15 = 11 + 10
		{64<<20 + 15*5<<19 - 1, 10, true},
		{64<<20 + 7*5<<19, 3, true},
		{64<<20 + 4*5<<19, 1, true}, // fewer than runSpare: 1
		{48 << 20, 1, true},         // not a heap arena's room: 1
	} {
		rlimitAS = func() (uint64, bool) { return mapped + c.room, c.room != 0 }
		if procs, capped := FitProcs(); procs != c.procs || capped != c.capped {
			t.Errorf("%d bytes left: FitProcs() = %d, %v; want %d, %v", c.room, procs, capped, c.procs, c.capped)
		}
	}
}

// TestLimitHeap: under an address-space limit, Go's soft memory limit is
// what the runtime holds and the room left, less HeapSlack of the room;
// without a limit, or with GOMEMLIMIT's (or a caller's) limit, it is left
// as it was.
func TestLimitHeap(t *testing.T) {
	fake(t, map[string]string{"meminfo": meminfoText,
		"status": "Name:\tgpusim\nVmSize:\t 1500000 kB\n"})
	oldStatus, oldLimit, oldCgroups := status, rlimitAS, cgroups
	t.Cleanup(func() { status, rlimitAS, cgroups = oldStatus, oldLimit, oldCgroups })
	status = filepath.Join(filepath.Dir(meminfo), "status")
	cgroups = filepath.Join(t.TempDir(), "none") // no cgroup limit
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })

	rlimitAS = func() (uint64, bool) { return 0, false }
	if l, ok := LimitHeap(); ok || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("no limit: LimitHeap() = %d, %v; the memory limit %d, want none", l, ok, debug.SetMemoryLimit(-1))
	}
	const room = 1000000 << 10
	rlimitAS = func() (uint64, bool) { return 1500000<<10 + room, true }
	l, ok := LimitHeap()
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	held := int64(s[0].Value.Uint64() - s[1].Value.Uint64())
	want := held + room - int64(HeapSlack(room))
	// The runtime's holdings move a little between LimitHeap's reading
	// and this one.
	if !ok || l != debug.SetMemoryLimit(-1) || l < want-8<<20 || l > want+8<<20 {
		t.Errorf("LimitHeap() = %d, %v (the memory limit %d), want about %d", l, ok, debug.SetMemoryLimit(-1), want)
	}
	debug.SetMemoryLimit(1 << 40) // as GOMEMLIMIT sets it
	if _, ok := LimitHeap(); ok || debug.SetMemoryLimit(-1) != 1<<40 {
		t.Errorf("with GOMEMLIMIT: the memory limit %d, want it kept", debug.SetMemoryLimit(-1))
	}
}

// TestCapHeap: the memory limit LimitHeap set is lowered to what the
// runtime holds and a merge's need, never raised, and a limit that is
// not LimitHeap's (GOMEMLIMIT's, a caller's) is left as it is: with the
// limit at the whole room, a merge's heap grew to it and the address
// space it mapped beyond ran out (cannot allocate 33554432-byte block).
func TestCapHeap(t *testing.T) {
	fake(t, map[string]string{"meminfo": meminfoText,
		"status": "Name:\tgpusim\nVmSize:\t 1500000 kB\n"})
	oldStatus, oldLimit, oldCgroups, oldSet := status, rlimitAS, cgroups, heapSet
	t.Cleanup(func() { status, rlimitAS, cgroups, heapSet = oldStatus, oldLimit, oldCgroups, oldSet })
	status = filepath.Join(filepath.Dir(meminfo), "status")
	cgroups = filepath.Join(t.TempDir(), "none") // no cgroup limit
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })

	const room, need = 1000000 << 10, 200 << 20
	rlimitAS = func() (uint64, bool) { return 1500000<<10 + room, true }
	set, ok := LimitHeap()
	if !ok {
		t.Fatal("LimitHeap set no limit")
	}
	want := int64(held() + need)
	if l, ok := CapHeap(need); !ok || l != debug.SetMemoryLimit(-1) || l < want-8<<20 || l > want+8<<20 || l >= set {
		t.Errorf("CapHeap(%d) = %d, %v (the memory limit %d), want about %d, below LimitHeap's %d", need, l, ok, debug.SetMemoryLimit(-1), want, set)
	}
	capped := debug.SetMemoryLimit(-1)
	if l, ok := CapHeap(2 * room); !ok || l != capped || debug.SetMemoryLimit(-1) != capped {
		t.Errorf("CapHeap(%d) = %d, %v (the memory limit %d), want %d kept: a cap never raises it", 2*room, l, ok, debug.SetMemoryLimit(-1), capped)
	}
	debug.SetMemoryLimit(1 << 40) // as GOMEMLIMIT or a caller sets it
	if l, ok := CapHeap(need); ok || l != 1<<40 || debug.SetMemoryLimit(-1) != 1<<40 {
		t.Errorf("a caller's limit: CapHeap(%d) = %d, %v (the memory limit %d), want it kept", need, l, ok, debug.SetMemoryLimit(-1))
	}
}

// TestWordSpace: a 32-bit build's Available is bounded by its own address
// space (wordSpace) less what it has mapped, whatever the machine's memory
// and with no RLIMIT_AS: it counted the machine's 24 GB, and a 32-bit
// gpusim let --out of 9e8 lanes (3.6 GB of finals) start. A 64-bit build
// (wordSpace 0) is bounded by nothing of the kind.
func TestWordSpace(t *testing.T) {
	fake(t, map[string]string{"meminfo": meminfoText,
		"status": "Name:\tgpusim\nVmSize:\t 500000 kB\nThreads:\t6\n"})
	oldStatus, oldLimit, oldWord, oldCgroups := status, rlimitAS, wordSpace, cgroups
	t.Cleanup(func() { status, rlimitAS, wordSpace, cgroups = oldStatus, oldLimit, oldWord, oldCgroups })
	status = filepath.Join(filepath.Dir(meminfo), "status")
	cgroups = filepath.Join(t.TempDir(), "none")
	rlimitAS = func() (uint64, bool) { return 0, false }

	wordSpace = 0
	if n, ok := Available(); !ok || n != 23349648<<10 {
		t.Errorf("64-bit: Available() = %d, %v, want MemAvailable's %d", n, ok, uint64(23349648)<<10)
	}
	wordSpace = 3 << 30
	if n, ok := Available(); !ok || n != 3<<30-500000<<10 {
		t.Errorf("32-bit: Available() = %d, %v, want 3 GiB less VmSize, %d", n, ok, uint64(3<<30-500000<<10))
	}
	// A limit below the word's space binds first; MachineAvailable, the
	// sum over processes, is bounded by neither.
	rlimitAS = func() (uint64, bool) { return 1000000 << 10, true }
	if n, ok := Available(); !ok || n != 500000<<10 {
		t.Errorf("32-bit under ulimit -v 1000000: Available() = %d, %v, want %d", n, ok, 500000<<10)
	}
	if n, ok := MachineAvailable(); !ok || n != 23349648<<10 {
		t.Errorf("32-bit: MachineAvailable() = %d, %v, want MemAvailable's %d", n, ok, uint64(23349648)<<10)
	}
	// A VmSize no 32-bit process has (4.6 GB: qemu-arm's own, read by a
	// 32-bit gpusim it emulates) is not the process's: Go's mapped
	// memory counts instead. It left no room at all, and --daily
	// --lanes 1000 was refused under qemu-arm.
	rlimitAS = func() (uint64, bool) { return 0, false }
	if err := os.WriteFile(status, []byte("Name:\tqemu-arm\nVmSize:\t 4613156 kB\nThreads:\t6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, ok := Available(); !ok || n == 0 || n >= 3<<30 {
		t.Errorf("an emulator's VmSize: Available() = %d, %v, want 3 GiB less Go's mapped memory", n, ok)
	}
	// Mapped past the word's space: no room, not a wrapped count.
	if err := os.WriteFile(status, []byte("Name:\tgpusim\nVmSize:\t 500000 kB\nThreads:\t6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wordSpace = 400000 << 10
	if n, ok := Available(); !ok || n != 0 {
		t.Errorf("mapped past wordSpace: Available() = %d, %v, want 0, true", n, ok)
	}
}
