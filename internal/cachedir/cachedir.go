// Package cachedir is where gpusim keeps what it may rebuild at any time:
// compiled OpenCL programs, self-test passes, auto's calibration and the record
// of an OpenCL driver probed in a child (gpu/cl's probe.go).
package cachedir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/diskfree"
)

// Env names the environment variable that moves the cache folder from
// os.UserCacheDir()/gpusim; "off" (in any case: OFF, Off) turns every disk
// cache off (Off), and so does
// a relative path, as Go refuses a relative GOCACHE: the cache would move
// with the working folder (GPUSIM_CACHE_DIR=rel made ./rel wherever gpusim
// ran, and found no cache from another folder).
const Env = "GPUSIM_CACHE_DIR"

// Dir is the cache folder, or "" when caching is off or there is no user
// cache folder: os.UserCacheDir fails, gives a relative path (HOME=relative
// made ./relative/.cache in the working folder), or a folder whose parent
// does not exist (HOME=/nonexistent made /nonexistent/.cache as root).
// After Pin it gives Pin's answer while the environment it read is the
// same.
func Dir() string {
	pinned.Lock()
	if pinned.ok && pinned.env == envKey() {
		defer pinned.Unlock()
		return pinned.dir
	}
	pinned.Unlock()
	return dir()
}

// Pin decides Dir now, before anything else can change what it finds: pocl
// creates $HOME/.cache/pocl, HOME included, when loaded with a HOME that
// does not exist, after which gpusim's check passed and its cache went
// there too.
func Pin() {
	d := dir()
	pinned.Lock()
	defer pinned.Unlock()
	pinned.env, pinned.dir, pinned.ok = envKey(), d, true
}

var pinned struct {
	sync.Mutex
	env [3]string
	dir string
	ok  bool
}

// envKey is the environment Dir reads.
func envKey() [3]string {
	return [3]string{os.Getenv(Env), os.Getenv("XDG_CACHE_HOME"), os.Getenv("HOME")}
}

// Off says whether Env turns the cache off by name: "off" in any case, as
// GPUSIM_CACHE_DIR=OFF was taken for a relative path, which turned the
// cache off with a note that the setting was not an absolute path.
func Off() bool { return strings.EqualFold(os.Getenv(Env), "off") }

func dir() string {
	if d := os.Getenv(Env); d != "" {
		if Off() || !filepath.IsAbs(d) {
			return ""
		}
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil || !filepath.IsAbs(d) {
		return ""
	}
	if fi, err := os.Stat(filepath.Dir(d)); err != nil || !fi.IsDir() {
		return ""
	}
	return filepath.Join(d, "gpusim")
}

// Writable says why nothing can be kept in the cache folder: caching is
// off, or the folder cannot be made or written (a file in its place, a
// read-only file system); nil when a file can be written there. It makes
// the folder and writes and removes an empty file.
func Writable() error {
	d := Dir()
	if d == "" {
		// Neither parentheses nor a colon: notes embed it in theirs.
		return fmt.Errorf("the cache is off, as %s", offCause())
	}
	if err := MkdirAll(d); err != nil {
		return err
	}
	return WritableDir(d)
}

// WritableDir says why no file can be written in the folder d, which
// exists (a read-only file system, a folder of another user's): nil when
// one can. It writes and removes an empty file, and its error names d,
// not the file's random name. Writable checks the cache folder with it,
// and gpu.CacheWritable the subfolder programs are kept in, which may be
// another user's where the folder is shared.
func WritableDir(d string) error {
	f, err := os.CreateTemp(d, ".probe-*")
	if err != nil {
		// The folder, not the probe's random name: each call's error
		// read differently ("open DIR/.probe-53250529: read-only file
		// system"), so the same cause was said again in every note.
		var pe *os.PathError
		if errors.As(err, &pe) {
			return &os.PathError{Op: "write in", Path: d, Err: pe.Err}
		}
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// offCause says why Dir is "": the setting that turned the cache off, or
// what kept the user cache folder from being found. "there is no user cache
// folder" left the user of a service started without HOME, or with a
// relative XDG_CACHE_HOME, to guess which.
func offCause() string { return offCauseOn(runtime.GOOS) }

// offCauseOn is offCause on the system goos (runtime.GOOS).
func offCauseOn(goos string) string {
	if e := os.Getenv(Env); e != "" {
		if Off() {
			return Env + "=" + e
		}
		return fmt.Sprintf("%s=%s is not an absolute path", Env, e)
	}
	name, v := userCacheVar(goos)
	mac := goos == "darwin" || goos == "ios"
	switch {
	case v == "" && name == "HOME" && !mac:
		return "none of " + Env + ", XDG_CACHE_HOME and HOME is set"
	case v == "":
		return "neither " + Env + " nor " + name + " is set"
	case !filepath.IsAbs(v):
		return fmt.Sprintf("%s=%s is not an absolute path", name, v)
	case name == "HOME" && mac:
		return fmt.Sprintf("HOME=%s had no Library folder when gpusim started", v)
	case name == "HOME":
		return fmt.Sprintf("HOME=%s was not a folder when gpusim started", v)
	}
	return fmt.Sprintf("the parent folder of %s=%s was not there when gpusim started", name, v)
}

// userCacheVar is the variable os.UserCacheDir reads here, and its value:
// XDG_CACHE_HOME, else HOME, on Linux and the BSDs; HOME alone on macOS,
// whose cache folder is ~/Library/Caches whatever XDG_CACHE_HOME says
// (offCause blamed that variable there); LocalAppData on Windows; home on
// Plan 9. goos is runtime.GOOS.
func userCacheVar(goos string) (name, value string) {
	switch goos {
	case "windows":
		name = "LocalAppData"
	case "darwin", "ios":
		name = "HOME"
	case "plan9":
		name = "home"
	default:
		if v := os.Getenv("XDG_CACHE_HOME"); v != "" {
			return "XDG_CACHE_HOME", v
		}
		name = "HOME"
	}
	return name, os.Getenv(name)
}

// FreeMargin is the most space the cache leaves free on its file system
// beside an entry it writes, and MinFreeMargin the least (Margin): a cache,
// which gpusim works without, is worth less than the last megabyte of a
// disk that other programs write to, but a calibration of a few hundred
// bytes is worth more than the measurements it saves each run.
const (
	FreeMargin    = 1 << 20
	MinFreeMargin = 64 << 10
)

// Margin is the space the cache leaves free beside an entry of size bytes:
// as much again as the entry, at least MinFreeMargin (a few of the file
// system's blocks: the temporary file's, the folder's) and at most
// FreeMargin. A flat FreeMargin kept auto.json (a few hundred bytes) from
// being written with less than 1 MiB free, so auto measured again on every
// run there.
func Margin(size uint64) uint64 { return min(FreeMargin, max(size, MinFreeMargin)) }

// freeSpace is diskfree.Free; tests replace it.
var freeSpace = diskfree.Free

// Room says why the cache folder's file system cannot take an entry of size
// bytes for what (a compiled program, say) and keep Margin(size) free: it
// has less free space (diskfree.Free). It is nil when there is room, when
// the free space cannot be asked, and when caching is off, which Writable
// says.
func Room(size uint64, what string) error {
	d := Dir()
	if d == "" {
		return nil
	}
	return room(d, size, what)
}

// room is Room for the file system of dir.
func room(dir string, size uint64, what string) error {
	margin := Margin(size)
	need := count.SatAdd(size, margin)
	if free, _, ok := freeSpace(dir); ok && free < need {
		return &RoomError{Dir: dir, Free: free, Size: size, Margin: margin, What: what}
	}
	return nil
}

// RoomError is Room's error: the file system of Dir has Free bytes free,
// under the Size of what is to be written and the Margin the cache leaves
// free beside it.
type RoomError struct {
	Dir                string
	Free, Size, Margin uint64
	What               string
}

func (e *RoomError) Error() string {
	return fmt.Sprintf("the file system of %s has %s free, under the %s %s takes and the %s the cache leaves free",
		e.Dir, diskfree.SizeText(e.Free), diskfree.SizeText(e.Size), e.What, diskfree.SizeText(e.Margin))
}

// NoEntryFits reports whether no entry at all could be written beside the
// MinFreeMargin the cache leaves free at the least: Free is at most that.
func (e *RoomError) NoEntryFits() bool { return e.Free <= MinFreeMargin }

// MkdirAll creates dir and its parents as os.MkdirAll does; when a link on
// the way points nowhere, or into a loop of links, the error says so
// (os.MkdirAll reports "file exists" for the first, "too many levels of
// symbolic links" for the second).
func MkdirAll(dir string) error {
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		return nil
	}
	for p := dir; ; p = filepath.Dir(p) {
		if fi, lerr := os.Lstat(p); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			if _, serr := os.Stat(p); serr != nil {
				target, _ := os.Readlink(p)
				if errors.Is(serr, syscall.ELOOP) {
					// loop1 -> loop2 -> loop1 read "a link to
					// loop2, which does not exist".
					return fmt.Errorf("%s is a link to %s, in a loop of links that ends nowhere: %w", p, target, err)
				}
				return fmt.Errorf("%s is a link to %s, which does not exist: %w", p, target, err)
			}
		}
		if q := filepath.Dir(p); q == p {
			return err
		}
	}
}

// WriteFile writes b to path in the cache atomically (internal/atomicfile),
// making its folder. An existing file its owner cannot read or write is
// removed first, so that the new one gets the default mode: atomicfile
// keeps a replaced file's mode, and a calibration or program made
// unreadable (chmod 000) stayed so, measured or compiled again on every
// run, and written again as unreadable. So is a link in the entry's place
// (links on the way to the folder are followed): atomicfile writes through
// a link, as a user's output should be, which wrote a program found corrupt
// under a link over the file it named, and made the one a dangling link
// named. An entry its file system has no room for, with Margin left
// free, is not written (room): the write filled the disk before it failed,
// and other programs' writes failed with it.
func WriteFile(path string, b []byte) error {
	if err := MkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	if err := room(filepath.Dir(path), uint64(len(b)), filepath.Base(path)); err != nil {
		return err
	}
	if st, err := os.Lstat(path); err == nil && (st.Mode()&os.ModeSymlink != 0 || st.Mode().IsRegular() && st.Mode().Perm()&0o600 != 0o600) {
		os.Remove(path)
	}
	removeIrregular(path)
	if st, err := os.Lstat(path); err == nil && st.IsDir() {
		// A folder in the entry's place: removed when empty; else the
		// error says what to remove (the note had advised a writable
		// cache folder, which it was).
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("%s is a folder, not a cache entry: remove it (rm -r %s)", path, path)
		}
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Update rewrites the cache file at path with change applied to what it
// holds (nil when it is missing, cannot be read or holds more than limit
// bytes, ReadFileMax), while holding an
// exclusive lock on path+".lock": processes sharing the cache folder that
// update the file at once then take turns, where each read the file, changed
// its copy and wrote it over the other's (of four runs calibrating auto at
// once, one's calibration was lost one time in five, and a calibration one
// run dropped as wrong could be written back by another). change returns
// the new contents, or nil to leave the file as it is. The lock is not
// waited for longer than lockWait (a process holding it stopped): the update
// then goes ahead, as the file is only a cache.
func Update(path string, limit int64, change func(old []byte) []byte) error {
	if err := MkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	unlock, _ := lock(path+".lock", lockWait)
	defer unlock()
	old, err := ReadFileMax(path, limit)
	if err != nil {
		old = nil
	}
	b := change(old)
	if b == nil {
		return nil
	}
	return WriteFile(path, b)
}

// ErrLockBusy is Lock's error when another holder kept the lock longer
// than the wait.
var ErrLockBusy = errors.New("the lock is held by another process")

// NoteAfter is how long LockWaiting waits for another holder before it
// calls its waiting: a wait longer than about a second is said, so that a
// run waiting for a stopped process does not look hung.
const NoteAfter = time.Second

// ByHolder is " by pid N" for Holder's "pid N", else "": what a note of a
// lock's wait puts after "is held" (LockWaiting's waiting, Holder).
func ByHolder(holder string) string {
	if holder == "" {
		return ""
	}
	return " by " + holder
}

// lockWait bounds Update's wait for another process's lock: an update
// holds it for the milliseconds of a read and a write.
const lockWait = 2 * time.Second
