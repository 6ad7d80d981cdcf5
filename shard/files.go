package shard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CheckFiles checks, before any part is read, that each of files is
// there and can be opened for reading, and returns nil or an error that
// names every one that cannot, one a line after a count where there are
// several (the first eight and how many more): a name no file is there
// for (with what it reads as: a link to nowhere, a shell pattern not
// expanded; missingNote), a folder, or a file this process may not open
// (permissions). What is in the files is not read: a damaged part is
// MergeFiles' to name. A file that is not a regular one (a FIFO, a
// device, /dev/stdin's pipe) is not opened here, as opening a FIFO waits
// for its writer; MergeFiles reads it. errors.Is(err, fs.ErrNotExist)
// where a file is not there (its shard may have saved no part).
func CheckFiles(files []string) error {
	var bad []string
	missing := false
	for _, f := range files {
		if msg, gone := checkFile(f); msg != "" {
			bad = append(bad, msg)
			missing = missing || gone
		}
	}
	switch {
	case len(bad) == 0:
		return nil
	case len(bad) == 1:
		return &filesError{bad[0], missing}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d part files are not there or cannot be read:", len(bad), len(files))
	for _, msg := range bad[:min(len(bad), maxProblems)] {
		b.WriteString("\n  " + msg)
	}
	if len(bad) > maxProblems {
		fmt.Fprintf(&b, "\n  and %d more", len(bad)-maxProblems)
	}
	return &filesError{b.String(), missing}
}

// filesError is CheckFiles' error: its text, and whether a file is not
// there, for errors.Is.
type filesError struct {
	msg     string
	missing bool
}

func (e *filesError) Error() string { return e.msg }

func (e *filesError) Is(target error) bool { return e.missing && target == fs.ErrNotExist }

// checkFile is why CheckFiles refuses the part file f, "" where it does
// not: "f": the cause, as ReadPart's errors read; gone where no file is
// there.
func checkFile(f string) (msg string, gone bool) {
	fi, err := os.Stat(f)
	if err != nil {
		msg := pathError(f, err).Error()
		if errors.Is(err, fs.ErrNotExist) {
			return msg + missingNote(f), true
		}
		return msg, false
	}
	if fi.IsDir() {
		return fmt.Sprintf("%q: a folder, not a part file (name its parts, as in %s)", f, strconv.Quote(filepath.Join(f, "*.json"))), false
	}
	if !fi.Mode().IsRegular() {
		return "", false
	}
	r, err := os.Open(f)
	if err != nil {
		return pathError(f, err).Error(), false
	}
	r.Close()
	return "", false
}
