//go:build unix

package descriptors

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFree: under a soft limit of the highest descriptor open plus 3,
// Free counts the 3 free above it and the holes below, and stops at need.
func TestFree(t *testing.T) {
	var was unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &was); err != nil {
		t.Skip(err)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	top := uint64(f.Fd()) // the lowest free descriptor was taken: none free below it
	limit := top + 1 + 3
	if limit > uint64(was.Max) { // int64 on the BSDs
		t.Skipf("hard limit %d", was.Max)
	}
	rl := was
	setLimit(&rl.Cur, limit)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		t.Skip(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &was)
	gotLimit, free, limited := Free(100)
	if !limited || gotLimit != limit {
		t.Fatalf("limit %d, %v; want %d, true", gotLimit, limited, limit)
	}
	// Descriptors above top, below the limit, that are open (the
	// runtime's) are not free.
	want := uint64(0)
	for fd := top + 1; fd < limit; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			want++
		}
	}
	if free != want || want == 0 {
		t.Errorf("free %d, want %d", free, want)
	}
	if _, free, _ := Free(1); free != 1 {
		t.Errorf("Free(1) counted %d free, want 1 (it stops at need)", free)
	}
}

// setLimit sets an Rlimit field to v in its type: int64 on the BSDs, where
// a uint64 in it kept this file from compiling.
func setLimit[T int64 | uint64](field *T, v uint64) { *field = T(v) }
