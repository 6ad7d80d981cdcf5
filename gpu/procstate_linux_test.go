package gpu

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCrashedLoadingReusedPID: a mark of this host is its process's while
// a process of its ID runs, which kept the mark of a process that ended
// standing for as long as another process that took its ID since ran (a
// shell, a daemon: IDs come round, under 32768 on many hosts and in a
// container), and a zombie's (ended, not reaped by its parent) likewise.
// A process that started after the mark, by more than startSlack, is not
// its maker; a live one that started before it is, and its mark stays.
func TestCrashedLoadingReusedPID(t *testing.T) {
	entry := filepath.Join(t.TempDir(), "entry")
	if err := os.WriteFile(entry, []byte("binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-3 * startSlack)
	os.Chtimes(entry, long, long)

	// A process started now, which holds an ID that a mark made long
	// before names: the process that made the mark has ended.
	c := exec.Command("sleep", "60")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	pid := c.Process.Pid
	mark := markName(entry, pid)
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * startSlack)
	os.Chtimes(mark, old, old)
	if who, _ := crashedLoading(entry); who != "process "+strconv.Itoa(pid) {
		t.Errorf("the mark of an ID another process took since: %q, want process %d", who, pid)
	}
	if _, err := os.Lstat(mark); !os.IsNotExist(err) {
		t.Errorf("the mark of an ID another process took since stays: %v", err)
	}

	// The same process's mark made after it started: its own, live.
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if who, _ := crashedLoading(entry); who != "" {
		t.Errorf("a running process's mark taken for a crash: %q", who)
	}
	if _, err := os.Lstat(mark); err != nil {
		t.Errorf("a running process's mark removed: %v", err)
	}

	// The process ended, its parent (this test) not reaping it yet.
	c.Process.Kill()
	for !zombie(pid) {
		time.Sleep(time.Millisecond)
	}
	if who, _ := crashedLoading(entry); who != "process "+strconv.Itoa(pid) {
		t.Errorf("a zombie's mark: %q, want process %d", who, pid)
	}
}

// zombie says whether pid has ended and waits for its parent.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(after, "Z")
}

// TestProcState: this process's start is before now and after the
// test binary was written, and it is no zombie.
func TestProcState(t *testing.T) {
	started, zombie, ok := procState(os.Getpid())
	if !ok {
		t.Fatal("no state read of this process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	// A second's slack: /proc/uptime is in hundredths, the file's
	// time the file system's.
	if now := time.Now(); started.After(now) || started.Before(st.ModTime().Add(-time.Second)) {
		t.Errorf("started %v: not between the binary's writing %v and now %v", started, st.ModTime(), now)
	}
	if zombie {
		t.Error("this process is a zombie")
	}
}
