package cachedir

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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
	for deadline := time.Now().Add(5 * time.Second); Holder(path) == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("flock(1) has not taken the lock after 5 s")
		}
	}
	want := "pid " + strconv.Itoa(holder.Process.Pid)
	if got := Holder(path); got != want {
		t.Errorf("Holder = %q, want %q", got, want)
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
