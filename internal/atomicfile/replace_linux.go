package atomicfile

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Reasons the existing file at a target cannot be renamed over, found
// before the run rather than at its commit point.
var (
	errImmutable  = errors.New("the file is immutable (chattr +i), so it cannot be replaced")
	errAppendOnly = errors.New("the file is append-only (chattr +a), so it cannot be replaced")
	errMountPoint = errors.New("the file is a mount point (a bind mount), so it cannot be replaced")
)

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
	return nil
}
