package interrupt

import (
	"strings"
	"testing"
	"time"
)

// TestWaitingNote: the note names the latest wait still in flight, an
// earlier one again once the latest is done, and none where none is.
func TestWaitingNote(t *testing.T) {
	if got := WaitingNote(); got != "" {
		t.Fatalf("no wait: %q, want none", got)
	}
	start := Waiting("the OpenCL driver to start device 0 (X)")
	build := Waiting("the OpenCL driver to build the program for device 0 (X)")
	const want = "gpusim: note: stopped while waiting for the OpenCL driver to build the program for device 0 (X), which a stop cannot cut short: it was left to end with the process\n"
	if got := WaitingNote(); got != want {
		t.Errorf("two waits: %q, want %q", got, want)
	}
	build()
	if got := WaitingNote(); !strings.Contains(got, "waiting for the OpenCL driver to start device 0 (X),") {
		t.Errorf("the build done: %q, want the start's", got)
	}
	start()
	if got := WaitingNote(); got != "" {
		t.Errorf("both done: %q, want none", got)
	}
}

// TestWaitingFor: a wait whose words change as it goes on (the probe's
// child's steps) is named in the words it has when the note is written,
// once past its time (a later one not yet past is not named); done twice
// is done once.
func TestWaitingFor(t *testing.T) {
	asked := "its devices"
	soon := WaitingFor(func() string { return "a wait not past its time" }, time.Hour)
	defer soon()
	done := WaitingFor(func() string { return "the OpenCL driver /a.so to answer when asked for " + asked }, 0)
	asked = "a queue on device 0 (X)"
	const want = "gpusim: note: stopped while waiting for the OpenCL driver /a.so to answer when asked for a queue on device 0 (X), which a stop cannot cut short: it was left to end with the process\n"
	if got := WaitingNote(); got != want {
		t.Errorf("WaitingNote() = %q, want %q", got, want)
	}
	done()
	done()
	if got := WaitingNote(); got != "" {
		t.Errorf("done: %q, want none", got)
	}
}

// TestForcedExitWaiting: a forced exit while a driver's call that cannot
// be cut short is in flight (Waiting) writes its note before the stop's
// message, which stays the last line; a SIGPIPE's exit, which says
// nothing, says nothing still.
func TestForcedExitWaiting(t *testing.T) {
	defer Waiting("the OpenCL driver to build the program for device 0 (X)")()
	var out strings.Builder
	forcedExit(&out, ExitSIGINT, "gpusim: interrupted\n", func(int) {}, false)
	const want = "gpusim: note: stopped while waiting for the OpenCL driver to build the program for device 0 (X), which a stop cannot cut short: it was left to end with the process\ngpusim: interrupted\n"
	if got := out.String(); got != want {
		t.Errorf("forced exit wrote %q, want %q", got, want)
	}
	out.Reset()
	forcedExit(&out, ExitSIGPIPE, "", func(int) {}, false)
	if got := out.String(); got != "" {
		t.Errorf("SIGPIPE's forced exit wrote %q, want nothing", got)
	}
}

// TestWaitingPast: a wait marked with WaitingPast is named only once it
// has waited its time, and then over the earlier waits as the latest; one
// that is not yet named leaves the earlier one named.
func TestWaitingPast(t *testing.T) {
	start := Waiting("the OpenCL driver to start device 0 (X)")
	defer start()
	launch := WaitingPast("the OpenCL driver to finish a launch on device 0 (X)", 50*time.Millisecond)
	if got := WaitingNote(); !strings.Contains(got, "to start device 0 (X),") {
		t.Errorf("the launch's wait just begun: %q, want the start's", got)
	}
	time.Sleep(100 * time.Millisecond)
	if got := WaitingNote(); !strings.Contains(got, "to finish a launch on device 0 (X),") {
		t.Errorf("the launch waited past its time: %q, want the launch's", got)
	}
	launch()
	if got := WaitingNote(); !strings.Contains(got, "to start device 0 (X),") {
		t.Errorf("the launch done: %q, want the start's", got)
	}
}
