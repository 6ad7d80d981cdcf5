package cachedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// PrivateParents are the folders, in order, that may hold a folder of this
// user's alone (Private), each named by the variable that sets it: the
// temporary folder ($TMPDIR, else /tmp), then $XDG_RUNTIME_DIR where it is
// set to an absolute path (the per-user runtime folder of systemd and
// other session managers, /run/user/UID, writable by its user alone), for
// a system whose temporary folder this process cannot write (a read-only
// root, TMPDIR set to a folder of another's).
func PrivateParents() [][2]string {
	dirs := [][2]string{{"TMPDIR", os.TempDir()}}
	if x := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(x) {
		dirs = append(dirs, [2]string{"XDG_RUNTIME_DIR", x})
	}
	return dirs
}

// Private is the folder NAME-UID (made where missing, with create) in the
// first of PrivateParents where it is, or with create can be made, this
// user's alone (PrivateIn). The error says why each parent was not.
func Private(name string, create bool) (string, error) {
	var errs []string
	for _, d := range PrivateParents() {
		dir, err := PrivateIn(d[1], name, create)
		if err == nil {
			return dir, nil
		}
		errs = append(errs, fmt.Sprintf("$%s: %v", d[0], err))
	}
	if _, ok := os.LookupEnv("XDG_RUNTIME_DIR"); !ok {
		errs = append(errs, "$XDG_RUNTIME_DIR is not set")
	}
	return "", errors.New(strings.Join(errs, "; "))
}

// PrivateIn is the folder NAME-UID in parent (made where missing, with
// create, mode 0700) where it is this user's alone: a folder of that name
// that is a link, another user's or open to others is refused, as what it
// holds could be forged or removed by others.
func PrivateIn(parent, name string, create bool) (string, error) {
	dir := filepath.Join(parent, fmt.Sprintf("%s-%d", name, os.Getuid()))
	if create {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !st.IsDir() || st.Mode().Perm()&0o077 != 0 || !ownedBySelf(st) {
		return "", fmt.Errorf("%s is not a folder of this user's alone", dir)
	}
	return dir, nil
}
