package cl

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/gpusim/gpusim/internal/sysmem"
)

// isLinux says whether the probe's child can report its libraries
// (/proc/self/maps) and die with its parent (dieWithParent).
const isLinux = true

// dieWithParent has a child killed when this process exits, as one that a
// hanging driver holds would outlive it.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// nameAfterParent gives the probe's child and its threads its parent's
// name (comm: what ps, top, pgrep -x and killall see): the kernel names a
// process after the file it executes, and the child's, /proc/self/exe,
// named it "exe" (as sysmem's restart restores its name). Threads started
// later (the driver's) take it from the thread that starts them; one
// that a thread not yet renamed started during a pass is renamed by the
// next (TestProbeChildNamed once found a thread of eight still "exe"):
// passes until one finds every thread named, at most eight.
func nameAfterParent() {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(os.Getppid()) + "/comm")
	name := strings.TrimSuffix(string(b), "\n")
	if err != nil || name == "" {
		return
	}
	for range 8 {
		renamed := false
		tasks, _ := filepath.Glob("/proc/self/task/*/comm")
		for _, p := range tasks {
			if now, err := os.ReadFile(p); err == nil && strings.TrimSuffix(string(now), "\n") != name {
				_ = os.WriteFile(p, []byte(name), 0)
				renamed = true
			}
		}
		if !renamed {
			return
		}
	}
}

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

// poclCacheUsable says whether pocl can use dir as its kernel cache at
// set-up (pocl_mkdir_p): a folder, or, where it is absent, the nearest of
// its parents that is there is a folder this process can write and enter.
// It makes nothing.
func poclCacheUsable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			return st.IsDir() && (d == dir || unix.Access(d, unix.W_OK|unix.X_OK) == nil)
		}
		if !os.IsNotExist(err) || d == filepath.Dir(d) {
			return false
		}
	}
}

// loadedProgram is the file of the program that the dynamic loader runs
// where /proc/self/exe is the loader itself (/lib64/ld-linux-x86-64.so.2
// bin/gpusim run ...), else "" (sysmem.LoaderProgram). The probe's child,
// /proc/self/exe run again, was the loader without a program
// ("bin/gpusim: missing program name"), and every driver was refused
// untried.
func loadedProgram() string { return sysmem.LoaderProgram() }
