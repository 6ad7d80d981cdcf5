//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package bench

import (
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockName is the file in a processes engine's folder whose lock (flock)
// its bench holds while it runs: the kernel releases it when bench dies
// however it dies (SIGKILL, the OOM killer), which leaves the folder.
const lockName = "lock"

// flock is flock(2); a variable for tests (a file system without locks).
// x/sys's, as internal/cachedir's lock takes it, on the systems that have
// it: the syscall package has none for Solaris, where bench did not build;
// AIX has none at all, and takes partsdir_other.go.
var flock = unix.Flock

// lockDir takes the lock of dir, a folder partsDir just made, and returns
// the func that releases it. The lock file is locked under a temporary
// name and then renamed, so that removeStale never finds it unlocked while
// its bench lives; it names this host (hostLine). Where the temporary folder takes no flock (Lustre
// mounted without -o flock: ENOSYS; some NFS set-ups: ENOLCK), the folder
// is left without a lock file, which removeStale leaves alone: the lock
// only finds a dead bench's folder, and with it the processes engine could
// not run at all there.
func lockDir(dir string) (unlock func(), err error) {
	tmp := filepath.Join(dir, lockName+".tmp")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		os.Remove(tmp)
		return func() {}, nil
	}
	if _, err := f.WriteString(hostLine()); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, lockName)); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// removeStale removes the processes engine's folders in the temporary
// folder that a bench killed where no handler ran left (SIGKILL, the OOM
// killer): this user's, whose lock file no process holds and names this
// host. A folder without one (an older gpusim's, or one whose bench died
// between making it and locking it) is left alone, as is one another
// user's, one another host's or any error: a temporary folder several
// machines share (TMPDIR on a home or scratch file system) may keep each
// machine's locks to itself (NFS mounted with local_lock=flock, Lustre
// with -o localflock), where a bench on another node holds the lock
// unseen here.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), processesDirPrefix+"*"))
	for _, dir := range dirs {
		st, err := os.Lstat(dir)
		if err != nil || !st.IsDir() {
			continue
		}
		if s, ok := st.Sys().(*syscall.Stat_t); !ok || int(s.Uid) != os.Getuid() {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			continue
		}
		if flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil && ownHost(f) {
			// Held while removed: a bench that opens the folder now
			// finds it gone.
			os.RemoveAll(dir)
		}
		f.Close()
	}
}

// hostLine is what a lock file holds: the host its bench runs on.
func hostLine() string {
	h, _ := os.Hostname()
	return "host " + h + "\n"
}

// ownHost reports whether the lock file f names this host (hostLine): one
// of another host's, or an unknown host's, is not this machine's to judge.
func ownHost(f *os.File) bool {
	want := hostLine()
	b := make([]byte, len(want)+1)
	n, _ := f.ReadAt(b, 0)
	h, _ := os.Hostname()
	return h != "" && string(b[:n]) == want
}
