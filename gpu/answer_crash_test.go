package gpu

import (
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestLateAnswerCrashNamed: where the handler of a driver's crash is
// installed (cl.CrashReports), a call of withinAnswer's is named by a
// crash until it returns, past its wait too (a crash in a hung call named
// none once the wait ended), and the drop of what it made after the wait
// is named as the release of it, with the hint of a crash in a release:
// that clean-up had no mark, and a crash there named no call.
func TestLateAnswerCrashNamed(t *testing.T) {
	if !cl.CrashReports() {
		t.Skip("no crash handler here (linux/amd64 only)")
	}
	if _, err := Devices(); err != nil {
		t.Skipf("no OpenCL driver loaded, which a crash's error names: %v", err)
	}
	was := answerWait
	answerWait = 100 * time.Millisecond
	defer func() { answerWait = was; hungCall.Store(nil) }()
	const what = "a context for device 0 (X)"
	const release = "a driver that lists its devices and then crashes releasing what gpusim made on one "
	const setUp = "a driver that lists its devices and then crashes setting one up "
	answer := make(chan struct{})
	inLate := make(chan string, 1) // the crash's words in the late call
	dropped := make(chan string, 1)
	_, err := withinAnswer(what, func() (int, error) {
		<-answer
		inLate <- cl.CrashMessage("SIGSEGV")
		return 7, nil
	}, func(int) { dropped <- cl.CrashMessage("SIGSEGV") })
	if err == nil {
		t.Fatal("a call that hangs: no error")
	}
	close(answer)
	for _, c := range []struct {
		got        chan string
		when, hint string
	}{
		{inLate, "when asked for " + what + "\n", setUp},
		{dropped, "when asked for the release of " + what + ", which it made after it did not answer in 0.1 s\n", release},
	} {
		select {
		case msg := <-c.got:
			if !strings.Contains(msg, c.when) || !strings.Contains(msg, "gpusim: hint: "+c.hint) {
				t.Errorf("a crash would say %q: want %q and the hint %q", msg, c.when, c.hint)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the late answer was not dropped")
		}
	}
}
