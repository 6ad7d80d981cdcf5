package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
		return fmt.Sprintf("%q is a link to %q%s, which is not there", name, link, linkChain(name, link))
	}
	return ""
}

// linkChain follows the links from the link at, whose target is target,
// while each target is itself a link, and says where each points
// (", a link to \"nowhere\""), so that the last name said is the one that
// is not there: a chain dl -> dl2 -> nowhere read "\"dl\" is a link to
// \"dl2\", which is not there", of a dl2 that ls lists. At most 40 links
// (Linux's own bound, ELOOP), as a chain longer fails otherwise.
func linkChain(at, target string) string {
	var b strings.Builder
	for range 40 {
		next := target
		if !filepath.IsAbs(next) {
			next = filepath.Join(filepath.Dir(at), next)
		}
		st, err := os.Lstat(next)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			break
		}
		if target, err = os.Readlink(next); err != nil {
			break
		}
		fmt.Fprintf(&b, ", a link to %q", target)
		at = next
	}
	return b.String()
}
