package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Reasons the existing file at a target cannot be renamed over, found
// before the run rather than at its commit point.
var (
	errImmutable  = errors.New("the file is immutable (chattr +i), so it cannot be replaced")
	errAppendOnly = errors.New("the file is append-only (chattr +a), so it cannot be replaced")
	errMountPoint = errors.New("the file is a mount point (a bind mount), so it cannot be replaced")
	errSticky     = errors.New("the file belongs to another user in a sticky folder (chmod +t, as /tmp is), so it cannot be replaced")
	errReadOnly   = errors.New("the file is read-only for this user, so it is not replaced")
)

// writeAccess says whether this process (its effective user) may write the
// file at path, as open(2) would decide: EACCES where its mode forbids it.
// Tests replace it, as root may write any file.
var writeAccess = func(path string) error {
	return unix.Faccessat(unix.AT_FDCWD, path, unix.W_OK, unix.AT_EACCESS)
}

// pseudoFS names the kernel's file system that target is on where it is
// one whose files are the kernel's interfaces, not data (proc, sysfs and
// the like: /proc/version stats as a regular file of size 0, and the run
// ended in "no such file or directory" from the temporary file /proc
// refuses), or "".
func pseudoFS(target string) string {
	var st unix.Statfs_t
	if unix.Statfs(target, &st) != nil {
		return ""
	}
	switch uint32(st.Type) {
	case unix.PROC_SUPER_MAGIC:
		return "proc"
	case unix.SYSFS_MAGIC:
		return "sysfs"
	case unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC:
		return "cgroup"
	case unix.DEBUGFS_MAGIC:
		return "debugfs"
	case unix.TRACEFS_MAGIC:
		return "tracefs"
	case unix.SECURITYFS_MAGIC:
		return "securityfs"
	case unix.DEVPTS_SUPER_MAGIC:
		return "devpts"
	}
	return ""
}

// geteuid is os.Geteuid; tests replace it.
var geteuid = os.Geteuid

// replaceable reports why the existing file target cannot be replaced by a
// rename, or nil: an immutable or append-only file, or a file that is a
// mount point, accepted the temporary file beside it and then refused the
// rename (EPERM, EBUSY) after the whole run. Kernels before 5.8 do not
// report a mount point (comparing the devices of the file and its folder
// would refuse files on an overlayfs whose layers are on different file
// systems): there the rename still says so.
func replaceable(target string) error {
	var sx unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, target, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &sx) != nil {
		return nil // the rename says why, as before
	}
	has := func(attr uint64) bool { return sx.Attributes_mask&attr != 0 && sx.Attributes&attr != 0 }
	switch {
	case has(unix.STATX_ATTR_IMMUTABLE):
		return errImmutable
	case has(unix.STATX_ATTR_APPEND):
		return errAppendOnly
	case has(unix.STATX_ATTR_MOUNT_ROOT):
		return errMountPoint
	}
	// A file this user may not write (chmod a-w, to keep a result), which
	// a shell's > and cp refuse: the rename asks only the folder's
	// permission, and replaced it without a word. Root may write any file,
	// and replaces it, as cp does.
	if err := writeAccess(target); errors.Is(err, unix.EACCES) {
		if int(sx.Uid) != geteuid() {
			// Another user's: chmod u+w is theirs to give.
			return fmt.Errorf("%w (mode %04o, the file of uid %d): remove it first, or write elsewhere", errReadOnly, sx.Mode&0o7777, sx.Uid)
		}
		return fmt.Errorf("%w (mode %04o): make it writable (chmod u+w) or remove it first", errReadOnly, sx.Mode&0o7777)
	}
	// In a sticky folder (/tmp, a shared scratch folder) only the file's
	// owner, the folder's or root may replace a file: another user's, even
	// one anyone may write, took the whole run and then refused the rename
	// (EPERM).
	var dx unix.Stat_t
	if unix.Stat(filepath.Dir(target), &dx) != nil || dx.Mode&unix.S_ISVTX == 0 {
		return nil
	}
	if uid := geteuid(); uid != 0 && int(sx.Uid) != uid && int(dx.Uid) != uid {
		return errSticky
	}
	return nil
}
