//go:build amd64

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitBounded waits for the started cmd for at most d, and kills it and
// returns false where it is still running then (a crashed gpusim held by a
// full pipe).
func waitBounded(cmd *exec.Cmd, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return false
	}
}

// fullPipe makes a pipe of one page (4096 bytes) and fills it, as a pipe
// that no one reads is once its reader stopped: r is its reading end.
func fullPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	fd := int(w.Fd())
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETPIPE_SZ, 4096); errno != 0 {
		t.Fatalf("F_SETPIPE_SZ: %v", errno)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	page := make([]byte, 4096)
	for {
		if _, err := syscall.Write(fd, page); err != nil {
			break
		}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	return r, w
}

// TestCrashFullPipes: a crashed gpusim whose stderr or stdout is a full
// pipe that no one reads ("2>&1 | sleep 1000" once the pipe filled) exits
// 1 within the handler's 5 s, writing on the other what it takes: the
// error, its hint and notes on stderr, and selftest's and devices' JSON
// document on stdout (--format json), were each one blocking write, which
// held the crashed process for as long as the pipe's reader lived, while
// its other threads went on. Where stdout did not take the document, the
// note that it is cut short follows the error on stderr. With no probe's
// record (cold) the crash is the probe's child's, which gpusim's own code
// says: its document on a full stdout was one blocking write, and the
// process never ended (killed 60 s on, stderr empty).
func TestCrashFullPipes(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	const cut = "gpusim: note: the report on stdout is cut short: stdout did not take it whole within 5 s (a full pipe that no one reads), and a crashed gpusim waits no longer\n"
	cases := []struct {
		full, fault, line string
		cold              bool
	}{
		{"stdout", "crash:clGetPlatformIDs", "devices --format json", false},
		{"stdout", "crash:clGetPlatformIDs", "devices --format json", true},
		{"stdout", "crash:clCreateContext", "selftest --format json", true},
		{"stdout", "crash:clCreateCommandQueue", "selftest --format json", false},
		{"stderr", "crash:clCreateCommandQueue", "selftest --format json", false},
		{"stderr", "crash:clGetPlatformIDs", "devices --format json", false},
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		cache := filepath.Join(t.TempDir(), "cache")
		if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
			t.Fatal(err)
		}
		if c.cold {
			if err := os.Remove(filepath.Join(cache, "opencl-probe")); err != nil {
				t.Fatal(err)
			}
		}
		_, w := fullPipe(t)
		cmd := exec.Command("gpusim", strings.Fields(c.line)...)
		cmd.Env = slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + c.fault})
		var other strings.Builder
		if c.full == "stdout" {
			cmd.Stdout, cmd.Stderr = w, &other
		} else {
			cmd.Stdout, cmd.Stderr = &other, w
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		wg.Go(func() {
			if !waitBounded(cmd, 60*time.Second) {
				t.Errorf("%s with %s full (cold %v): still running 60 s on: killed; the other said %q", c.line, c.full, c.cold, other.String())
				return
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("%s with %s full: exit status %d, want 1", c.line, c.full, code)
			}
			if c.full == "stdout" {
				if s := other.String(); !strings.Contains(s, "gpusim: error: the OpenCL driver ") || !strings.HasSuffix(s, cut) {
					t.Errorf("%s with stdout full: stderr %q: want the error, then %q", c.line, s, cut)
				}
				return
			}
			var doc struct{ Error string }
			if err := json.Unmarshal([]byte(other.String()), &doc); err != nil || !strings.HasPrefix(doc.Error, "the OpenCL driver ") {
				t.Errorf("%s with stderr full: stdout %q (%v): want the crash's document whole", c.line, other.String(), err)
			}
		})
	}
	wg.Wait()
}
