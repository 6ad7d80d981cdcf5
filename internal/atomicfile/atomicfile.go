package atomicfile

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// File is an output file being written: a temporary file beside the target
// that Commit renames over it and Abort removes. Writes are buffered. On
// Linux the temporary file has no name until Commit links it beside the
// target just before the rename (O_TMPFILE, where the file system has
// unnamed files), so a process killed while it writes, or while a closed
// file waits for its group's other files (SIGKILL, the OOM killer), leaves
// nothing beside the target.
type File struct {
	path string // the target
	tmp  string // the temporary file; "" while it is unnamed
	slot int    // tmp's slot in the table of named temporary files (keepName), or -1
	dir  string // the target's folder, as the kernel finds it
	base string // the target's name in dir

	mu        sync.Mutex
	f         *os.File
	w         *bufio.Writer
	closed    bool // flushed and synced (Close): only the link and rename are left; f is still open while unnamed
	done      bool // committed or aborted
	committed bool // renamed over the target
}

// pending holds every File neither committed nor aborted, for AbortAll.
var pending = struct {
	sync.Mutex
	files map[*File]struct{}
}{files: map[*File]struct{}{}}

// Create starts writing path. It fails at once, before any work is done,
// where path cannot be written: its folder is missing or read-only, path is
// a directory or not a regular file, an existing file that a rename cannot
// replace (immutable, append-only, a mount point or another user's in a sticky
// folder, on Linux) or that this user may not write (read-only for them, as
// a shell's > refuses it, on Linux), or the file
// system refuses new files (/proc). The temporary file is created with mode 0666 less the umask, as
// os.Create would create path, or with path's mode when path exists, and
// then its owner and group where the writer may give them (root; anyone
// the group, where they are in it: keepOwner); a
// symbolic link at path is followed (Target), so its target is replaced.
func Create(path string) (*File, error) {
	if path == "" {
		return nil, &fs.PathError{Op: "create", Path: path, Err: syscall.ENOENT}
	}
	// The file as the kernel finds it, first: Target reads links as
	// text, and the magic links of /proc/self/fd (/dev/stdout to a pipe:
	// "pipe:[N]") name no path, which read as "no such file or directory".
	if st, err := os.Stat(path); err == nil && !st.IsDir() && !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "create", Path: path, Err: errNotRegular}
	}
	target := Target(path)
	mode := fs.FileMode(0o666)
	var keep fs.FileInfo // the file replaced, whose owner and mode the new one keeps
	if st, err := os.Stat(target); err == nil {
		if st.IsDir() {
			return nil, &fs.PathError{Op: "create", Path: path, Err: syscall.EISDIR}
		}
		if !st.Mode().IsRegular() {
			return nil, &fs.PathError{Op: "create", Path: path, Err: errNotRegular}
		}
		if name := pseudoFS(target); name != "" {
			return nil, &fs.PathError{Op: "create", Path: path, Err: fmt.Errorf("%w: a file of the kernel's %s file system", errNotRegular, name)}
		}
		if err := replaceable(target); err != nil {
			return nil, &fs.PathError{Op: "create", Path: path, Err: err}
		}
		mode, keep = st.Mode().Perm(), st
	} else if !errors.Is(err, fs.ErrNotExist) {
		// A loop of links (ELOOP), a component that is not a folder.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "create", Path: path, Err: err}
	}
	// The temporary file goes beside the target as the kernel finds it:
	// dir as given, not cleaned as text ("a/link/../" is not "a/").
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "." + string(filepath.Separator)
	}
	var err error
	f := createAnon(dir, target, mode)
	tmp := ""
	for i := 0; f == nil && i < 10; i++ {
		tmp = dir + tempName(base, randomSuffix())
		// O_EXCL on a fresh random name: the kernel applies the umask to
		// mode, which CreateTemp's 0600 plus a Chmod would not.
		f, err = os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		// Name the target, not the temporary file.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "create", Path: path, Err: err}
	}
	if keep != nil {
		// An existing file keeps its owner and group where the writer
		// may give them, and its mode whatever the umask.
		keepOwner(f, keep)
		if err := f.Chmod(mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			f.Close()
			if tmp != "" {
				os.Remove(tmp)
			}
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &fs.PathError{Op: "create", Path: path, Err: err}
		}
	}
	a := &File{path: target, tmp: tmp, slot: keepName(tmp), dir: dir, base: base, f: f, w: bufio.NewWriterSize(f, 1<<20)}
	pending.Lock()
	pending.files[a] = struct{}{}
	pending.Unlock()
	return a, nil
}

// Target is the file that writing path replaces: path with the symbolic
// links on it followed, the last one too, also when what it names does not
// exist yet (a dangling link is written through, as a link to an existing
// file is, rather than replaced by a file). A path whose folder does not
// exist, or a loop of links, is returned as it is (Create then fails).
func Target(path string) string {
	p := path
	for range 40 { // Linux's limit on links in a lookup
		dir, base := filepath.Split(p)
		if dir == "" {
			dir = "."
		}
		rdir, err := filepath.EvalSymlinks(dir)
		if err != nil || base == "" {
			return p
		}
		p = filepath.Join(rdir, base)
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			return p
		}
		link, err := os.Readlink(p)
		if err != nil || (strings.HasPrefix(p, "/proc/") && strings.HasSuffix(link, " (deleted)")) {
			// A /proc fd link to a deleted file reads as a name that
			// is not a path: left as it is (Create then fails).
			return p
		}
		if !filepath.IsAbs(link) && rdir != "." {
			// Not filepath.Join, which would clean "x/../y" as text:
			// the kernel takes ".." after a link to a folder from the
			// folder linked to, and so does EvalSymlinks on the next
			// pass. A link in the working folder points from it as
			// written: "./dl/t.npy" named the folder "./dl" in a
			// message of the path given as d.npy.
			link = rdir + string(filepath.Separator) + link
		}
		p = link
	}
	return path
}

func randomSuffix() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Name is the path the file will have once committed.
func (a *File) Name() string { return a.path }

var errNotRegular = errors.New("not a regular file")

// errDone is what a File answers once committed or aborted.
var errDone = errors.New("atomicfile: file already committed or aborted")

// Write writes to the temporary file.
func (a *File) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done || a.closed {
		return 0, errDone
	}
	n, err := a.w.Write(p)
	return n, a.named(err)
}

// Close flushes, syncs and closes the temporary file, so that all a Commit
// has left to do is the rename (and, for an unnamed file, which keeps its
// descriptor until then, the link that names it): CommitAll closes a
// group's files before it renames any. On an error the temporary file is removed (the File is
// aborted). Writes after Close fail; Close after Close does nothing.
func (a *File) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.close()
}

// Ready says whether a is closed and neither committed nor aborted: written
// in full, waiting for its rename.
func (a *File) Ready() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed && !a.done
}

// close is Close with a.mu held.
func (a *File) close() error {
	if a.done {
		return errDone
	}
	if a.closed {
		return nil
	}
	a.closed = true
	err := a.w.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if err == nil && a.tmp == "" {
		// Unnamed, it keeps its descriptor until Commit links it: named
		// here, a process killed while the other files of its group were
		// written (run's --paths-out after --out) left it beside the
		// target.
		return nil
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		a.end()
		a.removeTemp()
	}
	return a.named(err)
}

// link names the unnamed temporary file, written in full, beside the
// target (a fresh random name, as Create's), for Commit's rename, and
// closes it; on an error nothing is left.
func (a *File) link() error {
	err := a.nameTemp()
	if cerr := a.f.Close(); err == nil && cerr != nil {
		err = &fs.PathError{Op: "close", Path: a.path, Err: cerr}
		a.removeTemp()
	}
	return err
}

func (a *File) nameTemp() error {
	var err error
	for range 10 {
		tmp := a.dir + tempName(a.base, randomSuffix())
		if err = linkAnon(a.f, tmp); err == nil {
			a.tmp, a.slot = tmp, keepName(tmp)
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return &fs.PathError{Op: "write", Path: a.path, Err: err}
}

// Commit makes the written bytes the file at Name: it flushes and syncs the
// temporary file (unless Close did), links it beside the target where it is
// unnamed, renames it over the target and syncs the folder. On any error the temporary file is removed and the target
// left as it was.
func (a *File) Commit() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.close(); err != nil {
		return err
	}
	if !a.end() {
		return errDone
	}
	if a.tmp == "" {
		if err := a.link(); err != nil {
			return err
		}
	}
	if err := rename(a.tmp, a.path); err != nil {
		a.removeTemp()
		return a.named(err)
	}
	a.renamedTemp()
	a.committed = true
	return syncDir(filepath.Dir(a.path))
}

// rename is os.Rename; tests replace it to make a rename fail.
var rename = os.Rename

// Committed says whether Commit renamed a over its target: false before,
// and after an Abort or a Commit that failed (the target is as it was).
func (a *File) Committed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.committed
}

// Abort removes the temporary file and leaves the target as it was. It is
// idempotent and does nothing after Commit, so it can be deferred.
func (a *File) Abort() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.abort()
}

// abort is Abort with a.mu held.
func (a *File) abort() error {
	if !a.end() {
		return nil
	}
	if !a.closed || a.tmp == "" {
		a.f.Close()
	}
	if a.tmp == "" {
		return nil // unnamed: gone with its descriptor
	}
	if err := a.removeTemp(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// removeTemp removes the named temporary file, where there is one, and
// frees its slot in the table of named temporary files (keepName).
func (a *File) removeTemp() error {
	if a.tmp == "" {
		return nil
	}
	err := os.Remove(a.tmp)
	a.renamedTemp()
	return err
}

// renamedTemp frees the slot of the temporary file, which is no longer
// there (renamed over its target, or removed).
func (a *File) renamedTemp() {
	dropName(a.slot)
	a.slot = -1
}

// named makes an error about the temporary file name the file at Name
// instead: "write f.csv: no space left on device" and "rename f.csv: file
// exists", where users read "write ./.f.csv.tmp-1a2b3c4d: ..." and
// "rename ./.f.csv.tmp-1a2b3c4d f.csv: ...", a file they never named and
// that is gone by then.
func (a *File) named(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe) && pe.Path == a.tmp:
		return &fs.PathError{Op: pe.Op, Path: a.path, Err: pe.Err}
	case errors.As(err, &le) && le.Old == a.tmp:
		return &fs.PathError{Op: le.Op, Path: a.path, Err: le.Err}
	}
	return err
}

// end marks a committed or aborted and drops it from pending; it is false
// where a already was. The caller holds a.mu, and keeps it while it finishes
// the file, so that AbortAll waits for a Commit under way.
func (a *File) end() bool {
	if a.done {
		return false
	}
	a.done = true
	pending.Lock()
	delete(pending.files, a)
	pending.Unlock()
	return true
}

// AbortAll aborts every File neither committed nor aborted, removing their
// temporary files: a signal handler calls it before the process exits. A
// Commit that runs at the same time either finishes first or fails; a
// CommitAll's renames finish first.
func AbortAll() {
	groupMu.Lock()
	defer groupMu.Unlock()
	pending.Lock()
	files := make([]*File, 0, len(pending.files))
	for a := range pending.files {
		files = append(files, a)
	}
	pending.Unlock()
	for _, a := range files {
		a.Abort()
	}
}

// syncDir makes a rename in dir durable where the file system allows it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// Prepare writes what write writes into a new File for path and closes it
// (Close), ready for Commit or CommitAll; on an error it removes the
// temporary file and returns no File.
func Prepare(path string, write func(io.Writer) error) (*File, error) {
	a, err := Create(path)
	if err != nil {
		return nil, err
	}
	if err := write(a); err != nil {
		a.Abort()
		return nil, err
	}
	if err := a.Close(); err != nil {
		return nil, err
	}
	return a, nil
}

// WriteFile writes path with what write writes, or leaves it untouched: see
// Create and Commit. The temporary file is removed on every error.
func WriteFile(path string, write func(io.Writer) error) error {
	a, err := Create(path)
	if err != nil {
		return err
	}
	defer a.Abort()
	if err := write(a); err != nil {
		return err
	}
	return a.Commit()
}

// Anonymous says whether Create may start the temporary file unnamed
// (Linux's O_TMPFILE); tests that watch for the temporary file's name turn
// it off.
var Anonymous = true

// nameMax is the longest file name most file systems take (NAME_MAX).
const nameMax = 255

// tempName is the temporary file's name for a target named base:
// ".base.tmp-suffix", with base cut short where that would pass nameMax
// (a legal 240-byte name failed with "file name too long").
func tempName(base, suffix string) string { return hiddenName(base, ".tmp-"+suffix) }

// backupName is the name of the second name a target keeps while its
// group is committed (commitGroup): ".base.bak-suffix", cut as tempName's.
func backupName(base, suffix string) string { return hiddenName(base, ".bak-"+suffix) }

// hiddenName is "."+base+tail, with base cut short where that would pass
// nameMax.
func hiddenName(base, tail string) string {
	head := "." + base
	if len(head)+len(tail) > nameMax {
		head = head[:max(nameMax-len(tail), 1)]
	}
	return head + tail
}
