package atomicfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// createAnon opens an unnamed file in the folder dir (open(2)'s O_TMPFILE)
// with mode less the umask, named name in its errors, or returns nil where
// the file system or kernel has no unnamed files (vfat, NFS before 4.2;
// EOPNOTSUPP, EISDIR, EINVAL), or /proc, through which linkAnon names it,
// is not mounted. An unnamed file vanishes with the process: a run killed
// with SIGKILL, or by the OOM killer, left its half-written ".NAME.tmp-"
// file beside the target, where no handler could remove it.
func createAnon(dir, name string, mode os.FileMode) *os.File {
	if !Anonymous {
		return nil
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return nil
	}
	if _, err := os.Stat(procFD(fd)); err != nil {
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), name)
}

// linkAnon gives the unnamed file f the name path (linkat(2) through
// /proc/self/fd with AT_SYMLINK_FOLLOW, which takes no privilege, as
// open(2) describes for O_TMPFILE). It fails with EEXIST where path exists.
func linkAnon(f *os.File, path string) error {
	return unix.Linkat(unix.AT_FDCWD, procFD(int(f.Fd())), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
}

func procFD(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }
