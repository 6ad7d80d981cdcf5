package cl_test

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestLoadOutOfAddressSpace: a driver that cannot be mapped under a real
// limit (the check passed: here the hook says there is room) is reported
// as the limit's doing, ErrAddressSpace with a hint that names it, not as
// a missing driver with a hint to install one ("failed to map segment",
// "Cannot allocate memory" under ulimit -v 1000000). The child sets the
// limit 64 MiB above what it maps around Load alone, and lifts it after.
func TestLoadOutOfAddressSpace(t *testing.T) {
	if os.Getenv(envChild) == "enomem" {
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil {
			t.Skip(err)
		}
		// Room for the runtime's own growth inside what is mapped: a
		// heap grown while the loader ran under the limit failed to map
		// its next 4 MiB ("fatal error: out of memory") on a loaded
		// machine. 32 MiB allocated and freed stay mapped for reuse.
		room := make([]byte, 32<<20)
		for i := range room {
			room[i] = 1
		}
		runtime.KeepAlive(room)
		room = nil
		runtime.GC()
		vm := vmSize(t)
		// The check before the load sees room; the hints, the limit.
		cl.FakeAddressSpace(t, 8<<30, 1<<30, 2)
		low := rl
		low.Cur = vm + 64<<20
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &low); err != nil {
			t.Skip(err)
		}
		err := cl.Load()
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &rl); err != nil {
			t.Fatal(err)
		}
		if err == nil {
			t.Skipf("a driver loaded in 64 MiB: %s", cl.LibraryPath())
		}
		if !errors.Is(err, cl.ErrAddressSpace) {
			t.Fatalf("Load() = %v, want ErrAddressSpace", err)
		}
		h := cl.HintFor(err)
		if !strings.HasPrefix(h, "the driver is there but could not be mapped: the address-space limit (ulimit -v ") || strings.Contains(h, "install") {
			t.Errorf("hint %q", h)
		}
		t.Logf("%v\nhint: %s", err, h)
		return
	}
	poclLibrary(t)
	t.Log(runChild(t, "TestLoadOutOfAddressSpace", "enomem", cl.EnvLibrary+"="))
}

// vmSize is the test process's VmSize in bytes.
func vmSize(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmSize:" {
			var kb uint64
			for _, c := range f[1] {
				kb = kb*10 + uint64(c-'0')
			}
			return kb << 10
		}
	}
	t.Skip("no VmSize")
	return 0
}
