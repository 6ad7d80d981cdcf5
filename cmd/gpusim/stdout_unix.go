//go:build unix

package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// closedAtStart reports whether f, the process's stdout, was closed when
// the process started: Go's runtime (runtime.checkfds, Go 1.22 on) then
// opens /dev/null read-write in its place, so that a report written to it
// was lost without a word and the run exited 0 (gpusim run >&-). A shell's
// >/dev/null opens it write-only, and os/exec's nil Stdout too, so the
// read-write /dev/null is the runtime's, but for one that a parent put
// there itself: daemon(3) and Python's subprocess.DEVNULL open /dev/null
// read-write. When stdin or stderr holds the same open file (the one
// /dev/null dup'ed onto several descriptors, as they do when given more than
// stdout), the runtime, which opens each closed one apart, did not make it.
func closedAtStart(f *os.File) bool {
	fd := int(f.Fd())
	var st, null unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Stat(os.DevNull, &null) != nil {
		return false
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || null.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != null.Rdev {
		return false
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_ACCMODE != unix.O_RDWR {
		return false
	}
	for _, other := range []int{0, 1, 2} {
		if other != fd && sameOpenFile(fd, other) {
			return false
		}
	}
	return true
}

// isDevNull reports whether r, the process's stdin, is /dev/null: a stdin
// closed at the start (Go's runtime opens /dev/null in its place) or
// redirected from it, which holds no list for merge --files-from -.
func isDevNull(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	var st, null unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || unix.Stat(os.DevNull, &null) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && null.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev
}

// outputStart is where what this process writes to f begins in its file,
// and whether a failed write can be undone by cutting the file back to it:
// f a regular file written at its end, by O_APPEND (a shell's >>) or at an
// offset at the end (>); not where writes go into its middle (1<>file).
func outputStart(f *os.File) (int64, bool) {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return 0, false
	}
	if flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0); err == nil && flags&unix.O_APPEND != 0 {
		return st.Size(), true
	}
	off, err := f.Seek(0, io.SeekCurrent)
	return off, err == nil && off == st.Size()
}

// emptiedFile reports whether f, stderr, is a regular file that holds
// nothing and is not appended to: one a shell's > FILE or &> FILE emptied
// as it started gpusim, so that a message written there loses nothing of
// it, where >> FILE (O_APPEND) keeps what the file held.
func emptiedFile(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() != 0 {
		return false
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	return err == nil && flags&unix.O_APPEND == 0
}
