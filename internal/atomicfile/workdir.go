package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WorkdirGoneText says, for a message about a relative path, that the
// working folder it is relative to was deleted (WorkdirGone).
const WorkdirGoneText = "the working folder was deleted (cd to a folder that exists, or give a full path)"

// WorkdirGone says whether path is relative and the working folder it is
// relative to was deleted (os.Getwd finds no path to it), so that no file
// can be made or found by that path, whatever it names: such a path failed
// "no such file or directory", which read as the file's, of a folder that
// ls, run in the same shell, cannot list either.
func WorkdirGone(path string) bool {
	if filepath.IsAbs(path) {
		return false
	}
	_, err := os.Getwd()
	return errors.Is(err, fs.ErrNotExist)
}

// NonFolderOnPath is the first of the folders path names on its way that
// is there but is not a folder ("a.txt" of a.txt/p.json), or "" where
// there is none. A path through such a file fails with ENOTDIR, "not a
// directory", which names neither the part of the path at fault nor the
// file it found there.
func NonFolderOnPath(path string) string {
	var dirs []string
	for d := filepath.Dir(path); ; d = filepath.Dir(d) {
		dirs = append(dirs, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		st, err := os.Stat(dirs[i])
		if err != nil {
			return ""
		}
		if !st.IsDir() {
			return dirs[i]
		}
	}
	return ""
}

// DanglingLinkOnPath says, of the first name on path's way that is a
// symbolic link to nothing, path itself included, what it is: "\"dl\" is
// a link to \"nowhere\", which is not there"; or "" where there is none,
// or where a name before it is not there. The names are taken as the
// system walks them, each in turn as written (".." after the name before
// it, not cleaned away). A path through such a link failed "no such file
// or directory", which named neither the link, which ls lists, nor where
// it points. It is every output flag's wording of such a link (run's
// files, bench's --plot, --html and --update-doc).
func DanglingLinkOnPath(path string) string {
	for i := 1; i <= len(path); i++ {
		if i < len(path) && (!os.IsPathSeparator(path[i]) || os.IsPathSeparator(path[i-1])) {
			continue
		}
		name := path[:i]
		st, err := os.Lstat(name)
		if err != nil {
			return ""
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		link, err := os.Readlink(name)
		if err != nil {
			return ""
		}
		return fmt.Sprintf("%q is a link to %q, which is not there", name, link)
	}
	return ""
}
