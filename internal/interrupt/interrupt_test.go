package interrupt

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// TestForcedExitRunsHooksFirst checks that a forced exit runs the BeforeExit
// funcs before it writes its message, and not the removed ones: a progress
// bar still on screen used to end with the message on its line
// ("... ETA --gpusim: interrupted"), when pocl compiled a kernel at its first
// launch and the run could not return within StopGrace.
func TestForcedExitRunsHooksFirst(t *testing.T) {
	var out strings.Builder
	remove := BeforeExit(func() { out.WriteString("\r   \r") }) // a bar erasing its line
	removed := BeforeExit(func() { out.WriteString("removed hook ran") })
	removed()
	status := -1
	forcedExit(&out, ExitSIGINT, "gpusim: interrupted\n", func(s int) { status = s }, false)
	remove()
	if got, want := out.String(), "\r   \rgpusim: interrupted\n"; got != want || status != ExitSIGINT {
		t.Errorf("forced exit wrote %q and exited %d, want %q and %d", got, status, want, ExitSIGINT)
	}
	out.Reset()
	forcedExit(&out, ExitSIGTERM, "gpusim: terminated\n", func(int) {}, false)
	if got := out.String(); got != "gpusim: terminated\n" {
		t.Errorf("after remove, forced exit wrote %q", got)
	}
}

// blockedWriter is a stderr nobody reads: a pipe of a stopped pager, a
// terminal stopped by Ctrl-S. Its writes wait until release is closed.
type blockedWriter struct{ release chan struct{} }

func (w blockedWriter) Write(b []byte) (int, error) {
	<-w.release
	return len(b), nil
}

// TestForcedExitBlockedStderr: a forced exit whose message, or whose
// hooks (a bar waiting for its own blocked write), cannot be written ends
// the process all the same, after exitWriteGrace. With stdout and stderr
// on one pipe nobody read, or a terminal stopped by Ctrl-S, a second
// Ctrl-C left the process running until the reader came back.
func TestForcedExitBlockedStderr(t *testing.T) {
	for _, hooked := range []bool{false, true} {
		w := blockedWriter{make(chan struct{})}
		if hooked {
			remove := BeforeExit(func() { w.Write([]byte("\r   \r")) })
			defer remove()
		}
		exited := make(chan int, 1)
		t0 := time.Now()
		go forcedExit(w, ExitSIGINT, "gpusim: interrupted\n", func(s int) { exited <- s }, true)
		select {
		case s := <-exited:
			if s != ExitSIGINT || time.Since(t0) < exitWriteGrace {
				t.Errorf("hooked %v: exited %d after %v, want %d after %v", hooked, s, time.Since(t0), ExitSIGINT, exitWriteGrace)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("hooked %v: a forced exit on a blocked stderr did not exit in 5 s", hooked)
		}
		close(w.release)
	}
}

// TestForcedExitWaitsForCommit: a forced exit (armed by --timeout or a
// signal before the commit point) that fires while a group of outputs is
// being renamed waits for the renames, and stands down when they settle
// the program (atomicfile.CommitAll's then): the run ends on its own with
// its whole report. It used to exit 124 once the renames were done, the
// outputs already new and the report cut.
func TestForcedExitWaitsForCommit(t *testing.T) {
	settled.Lock()
	settled.done, settled.disarms = false, nil
	settled.Unlock()
	t.Cleanup(func() {
		settled.Lock()
		settled.done, settled.disarms = false, nil
		settled.Unlock()
	})
	dir := t.TempDir()
	f, err := atomicfile.Prepare(filepath.Join(dir, "out.txt"), func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	renaming := make(chan struct{})
	committed := make(chan struct{})
	go func() {
		atomicfile.CommitAll(context.Background(), []*atomicfile.File{f}, func() {
			close(renaming)
			time.Sleep(100 * time.Millisecond) // a slow folder sync
			Settle()
		})
		close(committed)
	}()
	<-renaming
	exited := false
	var out strings.Builder
	forcedExit(&out, ExitTimeout, "gpusim: error: --timeout\n", func(int) { exited = true }, false)
	<-committed
	if exited || out.String() != "" {
		t.Errorf("a forced exit during the commit exited %v and wrote %q; want it to stand down", exited, out.String())
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "new" {
		t.Errorf("out.txt: %q, %v", b, err)
	}
	// A second, deliberate stop (Now) past the commit point ends the
	// process all the same, saying what was kept: it was dropped, and a
	// report held by a reader that did not read held the process for
	// ever, every later signal dropped too.
	status := -1
	out.Reset()
	forcedExit(&out, ExitSIGTERM, "gpusim: terminated\n", func(s int) { status = s }, true)
	if want := "gpusim: terminated\ngpusim: note: stopped again while it wrote its report: the run was complete, and any files it wrote are whole, but the report is cut short\n"; status != ExitSIGTERM || out.String() != want {
		t.Errorf("a second stop past the commit point exited %d, wrote %q; want %d, %q", status, out.String(), ExitSIGTERM, want)
	}
}

// TestArmTimeoutGrace: --timeout's deadline arms the forced exit
// TimeoutGrace after it, a signal StopGrace after it: the engines cut their
// work to the deadline they know, so only what cannot be cut (an OpenCL
// compile) is left, and the run overshot its limit by StopGrace (0.6 s)
// waiting for it.
func TestArmTimeoutGrace(t *testing.T) {
	type armed struct {
		status int
		grace  time.Duration
	}
	got := make(chan armed, 1)
	saved := ExitLater
	ExitLater = func(status int, msg string, grace time.Duration) func() {
		got <- armed{status, grace}
		return func() {}
	}
	t.Cleanup(func() { ExitLater = saved })
	settled.Lock()
	settled.done, settled.disarms = false, nil
	settled.Unlock()
	te := &TimeoutError{Limit: time.Millisecond}
	ctx, cancel := context.WithTimeoutCause(context.Background(), te.Limit, te)
	defer cancel()
	done := ArmTimeout(ctx, te)
	defer done()
	select {
	case a := <-got:
		if a.status != ExitTimeout || a.grace != TimeoutGrace || TimeoutGrace >= StopGrace {
			t.Errorf("the deadline armed exit %d after %v; want %d after %v, under StopGrace %v", a.status, a.grace, ExitTimeout, TimeoutGrace, StopGrace)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the deadline armed no forced exit")
	}
}

// TestTimeoutSuspendedWords: a run suspended across its deadline says that
// the deadline passed while it was stopped, how long it ran and how long
// it was stopped; it read "run exceeded 2s, 3s of it suspended", more
// suspended than the limit. A stop inside a run that reached its limit
// running (or continued less than lateStop past it) keeps "N of it
// suspended", and one under 0.5 s no word.
func TestTimeoutSuspendedWords(t *testing.T) {
	const wall = " (the limit counts wall time, as timeout(1) does)"
	for _, c := range []struct {
		limit, wall, suspended time.Duration
		want                   string
	}{
		{2 * time.Second, 3500 * time.Millisecond, 3 * time.Second, "--timeout: run exceeded 2s, the deadline passing while the process was suspended: it ran for 500ms and was suspended for 3s" + wall},
		{2 * time.Second, 3040 * time.Millisecond, 3 * time.Second, "--timeout: run exceeded 2s, the deadline passing while the process was suspended: it ran for 40ms and was suspended for 3s" + wall},
		{3 * time.Second, 3 * time.Second, 900 * time.Millisecond, "--timeout: run exceeded 3s, 900ms of it suspended" + wall},
		{2 * time.Second, 2300 * time.Millisecond, 1800 * time.Millisecond, "--timeout: run exceeded 2s, 1.8s of it suspended" + wall},
		{2 * time.Second, 2 * time.Second, 400 * time.Millisecond, "--timeout: run exceeded 2s"},
	} {
		te := &TimeoutError{Limit: c.limit, Suspended: func() time.Duration { return c.suspended }, Start: time.Now().Add(-c.wall)}
		if got := te.Error(); got != c.want {
			t.Errorf("limit %v, wall %v, suspended %v: %q, want %q", c.limit, c.wall, c.suspended, got, c.want)
		}
	}
}

// TestRoundShortNeverZero: a positive span a stop's message gives never
// reads 0s. A run that ran for 300 µs before a deadline that passed while
// it was suspended (--timeout 100us, Ctrl-Z) read "it ran for 0s": under a
// millisecond it was rounded to the millisecond.
func TestRoundShortNeverZero(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{1, "1ns"}, {499 * time.Nanosecond, "499ns"}, {1499 * time.Nanosecond, "1µs"},
		{300 * time.Microsecond, "300µs"}, {499_600 * time.Nanosecond, "500µs"},
		{999_400 * time.Nanosecond, "999µs"}, {40 * time.Millisecond, "40ms"},
		{1250 * time.Millisecond, "1.3s"}, {0, "0s"},
	} {
		if got := RoundShort(c.d).String(); got != c.want {
			t.Errorf("RoundShort(%d ns) = %s, want %s", int64(c.d), got, c.want)
		}
	}
	const wall = 2*time.Second + 600*time.Millisecond
	te := &TimeoutError{Limit: 100 * time.Microsecond, Text: "100us", Suspended: func() time.Duration { return wall - 300*time.Microsecond }, Start: time.Now().Add(-wall)}
	msg := te.Error()
	if strings.Contains(msg, " 0s") || !regexp.MustCompile(`it ran for [1-9][0-9.]*(µs|ms) and was suspended for 2.6s`).MatchString(msg) {
		t.Errorf("a run of 300 µs suspended across its deadline: %q, want it ran for some µs", msg)
	}
}

// TestNoNoteAfterLastWords: a note (Say) that comes once a forced exit
// wrote its message is not written, and one being written when the exit
// comes is written whole before the message: an auto open left in the
// driver by a stop wrote "gpusim: note: opencl failed, running on simd:
// ..." after "gpusim: terminated". A command's NotifyContext lets notes
// through again.
func TestNoNoteAfterLastWords(t *testing.T) {
	words.Lock()
	words.said = false // the forced exits of the tests before
	words.Unlock()
	var out strings.Builder
	inNote, release := make(chan struct{}), make(chan struct{})
	noted := make(chan struct{})
	go func() {
		defer close(noted)
		Say(func() {
			close(inNote)
			<-release
			out.WriteString("gpusim: note: first\n")
		})
	}()
	<-inNote
	exited := make(chan struct{})
	go func() {
		forcedExit(&out, ExitSIGTERM, "gpusim: terminated\n", func(int) { close(exited) }, true)
	}()
	close(release)
	<-noted
	<-exited
	Say(func() { out.WriteString("gpusim: note: after\n") })
	if want := "gpusim: note: first\ngpusim: terminated\n"; out.String() != want {
		t.Errorf("stderr %q; want %q", out.String(), want)
	}
	_, stop := NotifyContext(context.Background())
	defer stop()
	said := false
	Say(func() { said = true })
	if !said {
		t.Error("a note of the next command was not written")
	}
}
