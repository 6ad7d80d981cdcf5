//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package cachedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Lock takes an exclusive flock(2) on the file at path, made if missing
// (openLock), waiting up to wait for another holder; unlock releases it.
// The kernel releases it when its holder exits, however it exits (kill -9
// too), so a lock is never stale; a holder that keeps it longer than wait
// (a process stopped with Ctrl-Z) is not waited for: the error is then
// ErrLockBusy. Any other error says why the file could not be opened or
// locked (a read-only folder, a file system without locks); unlock is then
// a no-op. Each Lock opens the file anew, so two Locks of one path in one
// process exclude each other too.
func Lock(path string, wait time.Duration) (unlock func(), err error) {
	return LockWaiting(path, wait, nil)
}

// LockWaiting is Lock that calls waiting, where it is not nil, once the
// lock has been another's for NoteAfter (1 s) and it still waits: with
// Holder's name of the process that holds it ("pid 1234", or "" where it
// is not known), so that the caller can say what it waits for and for how
// long at most (a holder stopped with Ctrl-Z keeps it the whole wait).
// A wait shorter than NoteAfter calls nothing; one that reaches it calls
// waiting, before LockWaiting returns ErrLockBusy where it also reached
// wait.
func LockWaiting(path string, wait time.Duration, waiting func(holder string)) (unlock func(), err error) {
	f, err := openLock(path)
	if err != nil {
		return func() {}, err
	}
	t0 := time.Now()
	deadline := t0.Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases it
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return func() {}, &fs.PathError{Op: "flock", Path: path, Err: err}
		}
		now := time.Now()
		// Said before the limit is checked: a sleep that overran both
		// (a loaded machine) still says the wait.
		if waiting != nil && now.Sub(t0) >= NoteAfter {
			waiting(holderOf(f))
			waiting = nil
		}
		if now.After(deadline) {
			f.Close()
			return func() {}, ErrLockBusy
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Holder names the process that holds the flock(2) on the lock file at
// path ("pid 1234"), from /proc/locks, or returns "" where none does or it
// is not known (no /proc/locks, a holder in another PID namespace).
func Holder(path string) string {
	f, err := openExisting(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return holderOf(f)
}

// holderOf is Holder of the open lock file f: /proc/locks lists each lock
// as "N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END", the device in
// hexadecimal.
func holderOf(lf *os.File) string {
	var st unix.Stat_t
	if unix.Fstat(int(lf.Fd()), &st) != nil {
		return ""
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return ""
	}
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)), st.Ino)
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		// A waiter's own blocked request is listed as "N: -> FLOCK ...".
		if len(f) >= 6 && f[1] == "FLOCK" && f[5] == id && f[4] != "0" {
			return "pid " + f[4]
		}
	}
	return ""
}

// lock is Lock that says only whether the lock was taken: where it was not
// (no locks here, as on some network file systems, or a holder past wait),
// Update goes ahead unlocked, as it did before.
func lock(path string, wait time.Duration) (unlock func(), ok bool) {
	unlock, err := Lock(path, wait)
	return unlock, err == nil
}

// openLock opens the lock file at path for reading, making it where it is
// missing readable by all whatever the umask (it holds nothing): the
// processes of every user sharing the cache folder must be able to open
// it. An existing file is opened without O_CREAT, which fs.protected_regular
// (the default of systemd's distributions) refuses on another user's file
// in a sticky folder even where it is readable: with the cache in a shared
// /tmp folder, or made under umask 077 (0600), another user's runs got
// EACCES and updated auto.json without the lock.
func openLock(path string) (*os.File, error) {
	f, err := openExisting(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	f, err = os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return openExisting(path) // made meanwhile by another process
	}
	if err != nil {
		return nil, err
	}
	f.Chmod(0o644) // past the umask; a failure leaves the umask's mode
	return f, nil
}

// openExisting opens the existing lock file at path without waiting
// (openFlags): a named pipe in its place blocked every calibration update
// in open(2), waiting for a writer. Only a regular file is a lock file.
func openExisting(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return f, nil
}
