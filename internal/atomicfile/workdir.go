package atomicfile

import (
	"errors"
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
