package interrupt

import (
	"strings"
	"testing"
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
	forcedExit(&out, ExitSIGINT, "gpusim: interrupted\n", func(s int) { status = s })
	remove()
	if got, want := out.String(), "\r   \rgpusim: interrupted\n"; got != want || status != ExitSIGINT {
		t.Errorf("forced exit wrote %q and exited %d, want %q and %d", got, status, want, ExitSIGINT)
	}
	out.Reset()
	forcedExit(&out, ExitSIGTERM, "gpusim: terminated\n", func(int) {})
	if got := out.String(); got != "gpusim: terminated\n" {
		t.Errorf("after remove, forced exit wrote %q", got)
	}
}
