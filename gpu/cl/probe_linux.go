package cl

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// isLinux says whether the probe's child can report its libraries
// (/proc/self/maps) and die with its parent (dieWithParent).
const isLinux = true

// dieWithParent has a child killed when this process exits, as one that a
// hanging driver holds would outlive it.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// limitsKey is the limits under which a driver may fail to map or start
// its threads (ulimit -v, -u, -s), a line of the probe's key.
func limitsKey() string {
	var b strings.Builder
	b.WriteString("limits")
	for _, r := range []int{unix.RLIMIT_AS, unix.RLIMIT_NPROC, unix.RLIMIT_STACK} {
		var l unix.Rlimit
		if unix.Getrlimit(r, &l) == nil {
			fmt.Fprintf(&b, " %d", l.Cur)
		}
	}
	return b.String() + "\n"
}

// probeOutput is a file in memory (memfd_create) for the probe's child's
// stdout or stderr, or nil where none can be made (Linux before 3.17).
func probeOutput(name string) *os.File {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), name)
}
