package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// CommitAll commits files as one group, all of them or none: it closes
// every file first (Close, the slow part), then, unless ctx is done by
// then, renames those closed into place while AbortAll waits. A signal
// handler that cancels ctx before it calls AbortAll (as internal/interrupt
// does) therefore leaves either every file of the group committed or none.
// When ctx is done it aborts every file and returns ctx's cause as err.
// Otherwise errs[i] is file i's error (nil when committed). A file that
// cannot be closed (a full disk) is aborted and left out of the group, and
// the others are still committed. A rename that fails undoes the group
// (commitGroup): every target is left as it was, and each file's error
// says why. then, when not nil, runs after the renames while AbortAll
// still waits (interrupt.Settle: a forced exit waiting in AbortAll then
// sees the program settled).
func CommitAll(ctx context.Context, files []*File, then func()) (errs []error, err error) {
	errs = make([]error, len(files))
	for i, a := range files {
		errs[i] = a.Close()
	}
	groupMu.Lock()
	defer groupMu.Unlock()
	if ctx.Err() != nil {
		for _, a := range files {
			a.Abort()
		}
		return nil, context.Cause(ctx)
	}
	var group []*File
	var at []int
	seen := map[*File]bool{}
	for i, a := range files {
		switch {
		case seen[a]:
			errs[i] = errDone // committed with its first place in files
		case errs[i] == nil:
			group, at = append(group, a), append(at, i)
		}
		seen[a] = true
	}
	for k, e := range commitGroup(group) {
		errs[at[k]] = e
	}
	if then != nil {
		then()
	}
	return errs, nil
}

// UndoneError is the error of a file of a group whose commit another
// file's failed rename undid (commitGroup): the file is left as it was.
// Failed is the path of the file that could not be put in place, whose
// own error says why.
type UndoneError struct {
	Failed string
}

func (e *UndoneError) Error() string {
	return fmt.Sprintf("left as it was, as %q could not be put in place with it (a run's outputs are committed all or none)", e.Failed)
}

// groupMu makes CommitAll's renames and AbortAll exclude each other.
var groupMu sync.Mutex

// staged is a file of a group under commit: its backup, the existing
// target's second name, and how it was made.
type staged struct {
	a       *File
	backup  string // "" where the target did not exist
	moved   bool   // the target was renamed to backup (no hard links), not linked
	renamed bool   // the new file is at the target
}

// commitGroup renames the closed files of group into place, all or none,
// and returns each one's error. The renames are undone where one fails:
// before any, each existing target gets a second name beside it, a hidden
// .NAME.bak-... (a hard link, so that the target stays in place; renamed
// there where the file system has no hard links); a rename that fails
// renames each earlier target's backup back over it (removing a target
// that was new), and the backups go once every rename is done. A rename
// that fails on a system where nothing checks before the run that a file
// can be replaced (Windows: a read-only file, one open in another program)
// left some new outputs beside old ones. A backup that cannot be put back
// is kept, and its file's error names it. A process killed (SIGKILL) in
// the milliseconds of the renames may leave a backup beside its target.
func commitGroup(group []*File) []error {
	errs := make([]error, len(group))
	st := make([]staged, len(group))
	for i, a := range group {
		a.mu.Lock()
		defer a.mu.Unlock()
		st[i].a = a
	}
	failed := -1
	for i := range st {
		if errs[i] = st[i].stage(); errs[i] != nil {
			failed = i
			break
		}
	}
	for i := range st {
		if failed >= 0 {
			break
		}
		if err := rename(st[i].a.tmp, st[i].a.path); err != nil {
			errs[i], failed = st[i].a.named(err), i
			break
		}
		st[i].a.renamedTemp()
		st[i].renamed = true
	}
	for i := range st {
		s := &st[i]
		if failed < 0 {
			s.a.committed = true
			if s.backup != "" {
				os.Remove(s.backup)
			}
			errs[i] = syncDir(filepath.Dir(s.a.path))
			continue
		}
		if i != failed {
			errs[i] = &fs.PathError{Op: "write", Path: s.a.path, Err: &UndoneError{Failed: group[failed].path}}
		}
		if err := s.undo(); err != nil {
			errs[i] = errors.Join(errs[i], err)
		}
	}
	return errs
}

// stage ends s's file (no longer pending: AbortAll waits on groupMu), names
// its temporary file where it is unnamed (link) and gives its existing
// target a backup.
func (s *staged) stage() error {
	a := s.a
	if !a.end() {
		return errDone
	}
	if a.tmp == "" {
		if err := a.link(); err != nil {
			a.tmp = ""
			return err
		}
	}
	st, err := os.Lstat(a.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err == nil && st.IsDir():
		// Made since Create (which refuses one): a rename would fail,
		// and a folder is no file to move aside.
		return &fs.PathError{Op: "write", Path: a.path, Err: syscall.EISDIR}
	case err == nil && !st.Mode().IsRegular():
		return &fs.PathError{Op: "write", Path: a.path, Err: errNotRegular}
	}
	for range 10 {
		b := a.dir + backupName(a.base, randomSuffix())
		if err = link(a.path, b); err == nil {
			s.backup = b
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		// No hard links here (FAT, exFAT, some network shares): the
		// target is moved aside, and missing until its rename.
		if err = rename(a.path, b); err == nil {
			s.backup, s.moved = b, true
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return &fs.PathError{Op: "write", Path: a.path, Err: fmt.Errorf("cannot keep the file there until the commit: %w", err)}
}

// undo puts s's target back as it was before the group's commit and
// removes its temporary file; an error says what could not be put back
// (and where the old file is kept).
func (s *staged) undo() error {
	a := s.a
	if !a.done {
		a.abort() // not staged: a rename before its stage failed
		return nil
	}
	if !s.renamed {
		a.removeTemp()
	}
	switch {
	case s.backup != "" && (s.renamed || s.moved):
		if err := rename(s.backup, a.path); err != nil {
			return fmt.Errorf("and the old %q could not be put back: it is kept as %q", a.path, s.backup)
		}
	case s.backup != "":
		os.Remove(s.backup) // a hard link: the target never moved
	case s.renamed:
		if err := os.Remove(a.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("and the new %q, where there was no file, could not be removed: %v", a.path, err)
		}
	}
	return nil
}

// link is os.Link; tests replace it, as a file system without hard links.
var link = os.Link
