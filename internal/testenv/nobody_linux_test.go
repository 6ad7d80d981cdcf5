package testenv

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestUserProcesses: this process is among its user's, with its name and
// threads; a uid that runs nothing has none.
func TestUserProcesses(t *testing.T) {
	got := UserProcesses(os.Getuid())
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(string(b), "Name:"), "\n")
	want := strconv.Itoa(os.Getpid()) + " " + strings.TrimSpace(name) + " ("
	if !strings.Contains(got, want) || !strings.Contains(got, " threads)") {
		t.Errorf("UserProcesses(%d) = %q; want %q ... threads) in it", os.Getuid(), got, want)
	}
	if got := UserProcesses(65530); got != "none" {
		t.Errorf("UserProcesses(65530), a uid of no process: %q, want none", got)
	}
}
