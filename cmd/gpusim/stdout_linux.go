package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// alwaysFull reports whether f is Linux's /dev/full, whatever its path:
// the character device 1, 7 (the kernel's Documentation/admin-guide/
// devices.txt: major 1, "Memory devices", minor 7, "/dev/full"), to
// which every write fails with ENOSPC.
func alwaysFull(f *os.File) bool {
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return false
	}
	rdev := uint64(st.Rdev)
	return unix.Major(rdev) == 1 && unix.Minor(rdev) == 7
}

// kcmpFile is KCMP_FILE of kcmp(2): whether two descriptors hold the same
// open file.
const kcmpFile = 0

// sameOpenFile reports whether descriptors a and b of this process hold
// one open file (kcmp(2)); false where kcmp is not allowed (a seccomp
// filter) or either is closed.
func sameOpenFile(a, b int) bool {
	pid := uintptr(os.Getpid())
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, pid, pid, kcmpFile, uintptr(a), uintptr(b), 0)
	return errno == 0 && r == 0
}
