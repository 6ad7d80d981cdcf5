package sysmem

import (
	"runtime"
	"syscall"
	"testing"
)

// TestStackLimitUnlimited: under ulimit -s unlimited, glibc starts threads
// with a 2 MiB stack on amd64 and arm64 (ARCH_STACK_DEFAULT_SIZE), not 8
// MiB: RunRoom counted 8 MiB a thread and refused jobs four times the
// stacks' room too soon (32 MiB + 69 x 8 MiB on 64 CPUs where 69 x 2 MiB
// is mapped).
func TestStackLimitUnlimited(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("glibc's default thread stack checked on amd64 and arm64")
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &old); err != nil {
		t.Fatal(err)
	}
	unlimited := syscall.Rlimit{Cur: ^uint64(0), Max: old.Max}
	if old.Max != ^uint64(0) || syscall.Setrlimit(syscall.RLIMIT_STACK, &unlimited) != nil {
		t.Skip("ulimit -s unlimited is not allowed here")
	}
	defer syscall.Setrlimit(syscall.RLIMIT_STACK, &old)
	if got := stackLimit(); got != 2<<20 {
		t.Errorf("stackLimit() = %d under ulimit -s unlimited, want %d", got, 2<<20)
	}
}
