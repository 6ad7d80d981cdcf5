//go:build unix

package sysmem

import (
	"os"
	"path/filepath"
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
