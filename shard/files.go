package shard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/internal/atomicfile"
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
//
// Where every file can be read, it refuses a file named more than once
// (sameFiles): the same name twice, or two names of one file (./p.json
// and p.json, a link and the part it points to), as os.SameFile tells.
// Two files with the same content (a copy of a part) are different
// files: MergeFiles reads them, and refuses them as copies.
func CheckFiles(files []string) error { return checkFiles(files, true) }

// CheckNames is CheckFiles with os.Stat alone, opening no file: it
// refuses a name no file is there for, a folder and a file named more
// than once, with CheckFiles' errors, but not a file this process may not
// open, which CheckFiles then refuses. merge checks its named parts with
// it before the open-file limit's check (ulimit -n), which opens none:
// under ulimit -n 12, merge p.json p.json and merge missing.json were
// refused for the limit, not for the names.
func CheckNames(files []string) error { return checkFiles(files, false) }

// checkFiles is CheckFiles, each regular file opened where open is set.
func checkFiles(files []string, open bool) error {
	var bad []string
	missing := false
	infos := make([]fs.FileInfo, len(files))
	for i, f := range files {
		fi, msg, gone := checkFile(f, open)
		if msg != "" {
			bad = append(bad, msg)
			missing = missing || gone
		}
		infos[i] = fi
	}
	switch {
	case len(bad) == 0:
		return sameFiles(files, infos)
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
// there. fi is f's os.Stat, nil where it failed. A regular file is opened
// (and closed) where open is set, to refuse one this process may not read.
func checkFile(f string, open bool) (fi fs.FileInfo, msg string, gone bool) {
	fi, err := os.Stat(f)
	if err != nil {
		msg := pathError(f, err).Error()
		if errors.Is(err, fs.ErrNotExist) && atomicfile.WorkdirGone(f) {
			// Not a part that is missing (a shard to run again): it
			// read ""p.json": no such file or directory".
			return nil, fmt.Sprintf("%q: %s", f, atomicfile.WorkdirGoneText), false
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, msg + missingNote(f), true
		}
		if d := atomicfile.NonFolderOnPath(f); d != "" {
			// It read ""a.txt/p.json": not a directory".
			return nil, fmt.Sprintf("%q: %q is not a folder", f, d), false
		}
		return nil, msg, false
	}
	if fi.IsDir() {
		return fi, fmt.Sprintf("%q: a folder, not a part file (name its parts, as in %s)", f, strconv.Quote(filepath.Join(f, "*.json"))), false
	}
	if !fi.Mode().IsRegular() || !open {
		return fi, "", false
	}
	r, err := os.Open(f)
	if err != nil {
		return fi, pathError(f, err).Error(), false
	}
	r.Close()
	return fi, "", false
}

// sameFiles refuses a file that files name more than once, infos[i]
// being files[i]'s os.Stat: merge p.json p.json, or ./p.json and p.json,
// or a link and its part, were read and refused as a damaged merge (exit
// 1) where the command line alone was at fault. The error names each such
// file, one a line after a count where there are several (the first
// eight and how many more), with its places among files counted from 1:
// "p.json" is given twice (parts 2 and 5), or "a.json" and "link.json"
// are the same file (parts 1 and 3). Files are grouped by fileKey, their
// identity where the system gives one (Unix's device and inode), so that
// a million names take a million os.SameFile calls, not their square.
func sameFiles(files []string, infos []fs.FileInfo) error {
	type file struct {
		fi fs.FileInfo
		at []int // indices into files
	}
	byKey := map[any][]*file{}
	var all []*file
	for i, fi := range infos {
		k := fileKey(fi)
		var same *file
		for _, g := range byKey[k] {
			if os.SameFile(g.fi, fi) {
				same = g
				break
			}
		}
		if same == nil {
			same = &file{fi: fi}
			byKey[k] = append(byKey[k], same)
			all = append(all, same)
		}
		same.at = append(same.at, i)
	}
	var msgs []string
	for _, g := range all {
		if len(g.at) > 1 {
			msgs = append(msgs, sameFileMsg(files, g.at))
		}
	}
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		return &filesError{msg: msgs[0]}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d part files are named more than once:", len(msgs))
	for _, msg := range msgs[:min(len(msgs), maxProblems)] {
		b.WriteString("\n  " + msg)
	}
	if len(msgs) > maxProblems {
		fmt.Fprintf(&b, "\n  and %d more", len(msgs)-maxProblems)
	}
	return &filesError{msg: b.String()}
}

// sameFileMsg says that files[at[0]], files[at[1]], ... are one file.
func sameFileMsg(files []string, at []int) string {
	var names []string
	nums := make([]int, len(at))
	for j, i := range at {
		nums[j] = i + 1
		if !slices.Contains(names, files[i]) {
			names = append(names, files[i])
		}
	}
	if len(names) == 1 {
		return fmt.Sprintf("%q is given %s (parts %s)", names[0], times(len(at)), listInts(nums))
	}
	quoted := make([]string, len(names))
	for j, n := range names {
		quoted[j] = strconv.Quote(n)
	}
	list := strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
	return fmt.Sprintf("%s are the same file (parts %s)", list, listInts(nums))
}

// sizeTime is a key one file has however it is named: its size and
// modification time, for fileKey where the system gives no identity.
func sizeTime(fi fs.FileInfo) any {
	return struct {
		size int64
		mod  int64
	}{fi.Size(), fi.ModTime().UnixNano()}
}
