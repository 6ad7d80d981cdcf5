package cachedir

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLockWaitingNotes: a wait for a lock that another process holds past
// NoteAfter calls waiting once, naming the holder's pid (from
// /proc/locks), and ends with ErrLockBusy at the limit; a lock free at
// once calls nothing, and a wait whose limit is NoteAfter is said. A run
// waiting for a stopped holder said nothing for up to a minute.
func TestLockWaitingNotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.build.lock")
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock(1) to hold the lock in another process")
	}
	holder := exec.Command("flock", "-o", path, "sleep", "10") // -o: flock(1) holds it, not sleep
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	// Taken once a try fails (Holder reads /proc/locks, which an overlay
	// file system may list under another device than fstat gives).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		unlock, err := Lock(path, 0)
		if errors.Is(err, ErrLockBusy) {
			break
		}
		if err == nil {
			unlock()
		}
		if time.Now().After(deadline) {
			t.Fatalf("flock(1) has not taken the lock after 5 s (%v)", err)
		}
	}
	want := "pid " + strconv.Itoa(holder.Process.Pid)
	var fs unix.Statfs_t
	if got := Holder(path); got != want {
		if unix.Statfs(path, &fs) == nil && fs.Type == unix.OVERLAYFS_SUPER_MAGIC && got == "" {
			t.Logf("Holder = %q on an overlay file system: the notes name no pid", got)
			want = ""
		} else {
			t.Errorf("Holder = %q, want %q", got, want)
		}
	}
	var said []string
	t0 := time.Now()
	_, err := LockWaiting(path, NoteAfter+300*time.Millisecond, func(h string) { said = append(said, h) })
	if !errors.Is(err, ErrLockBusy) {
		t.Errorf("LockWaiting past its limit: %v, want ErrLockBusy", err)
	}
	if len(said) != 1 || said[0] != want {
		t.Errorf("waiting was called with %q, want once with %q", said, want)
	}
	if d := time.Since(t0); d < NoteAfter {
		t.Errorf("LockWaiting returned after %v, before its limit", d)
	}
	// A limit of NoteAfter itself: the wait reaches both at once, and is
	// said before it ends (a loop that checked its limit first returned
	// unsaid, as it did where a sleep overran both on a loaded machine).
	said = nil
	if _, err := LockWaiting(path, NoteAfter, func(h string) { said = append(said, h) }); !errors.Is(err, ErrLockBusy) || len(said) != 1 || said[0] != want {
		t.Errorf("LockWaiting(NoteAfter): %v, waiting called with %q; want ErrLockBusy and once with %q", err, said, want)
	}
	holder.Process.Kill()
	holder.Wait()
	said = nil
	unlock, err := LockWaiting(path, time.Minute, func(h string) { said = append(said, h) })
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if said != nil {
		t.Errorf("a free lock called waiting with %q", said)
	}
}
