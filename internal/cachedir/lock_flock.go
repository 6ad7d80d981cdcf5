//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package cachedir

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive flock(2) on the file at path, made if missing,
// waiting up to wait for another holder; unlock releases it. The kernel
// releases it when its holder exits, however it exits (kill -9 too), so a
// lock is never stale; a holder that keeps it longer than wait (a process
// stopped with Ctrl-Z) is not waited for, and ok is false.
func lock(path string, wait time.Duration) (unlock func(), ok bool) {
	f, err := openLock(path)
	if err != nil {
		return func() {}, false
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, true // closing releases it
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) || time.Now().After(deadline) {
			// No locks here (some network file systems): the update
			// goes ahead unlocked, as it did before.
			f.Close()
			return func() {}, false
		}
		time.Sleep(5 * time.Millisecond)
	}
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
