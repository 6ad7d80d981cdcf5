package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStackLimit: under a stack limit (ulimit -s 16) that gives each
// thread too small a stack for Go's runtime, a run is refused with exit 2,
// naming the limit to set: it died of SIGSEGV without a word (exit 139) in
// 5 of 8 runs of --engine parallel --lanes 1e6 on 2 CPUs. Go's own start
// may die there too (1 of 6 starts of gpusim version did not under 16; 5
// of 6 did under 12), where no code of gpusim's runs yet: a start that
// printed nothing is passed over. How many die so varies with the
// machine's load (2 of 6 runs were refused beside the rest of the suite on
// 2 cores, where the test asked for 3), so it runs up to 60 starts, until
// 3 are refused, and wants one at least: a gpusim that does not check the
// limit is never refused, and any output but the refusal fails at once.
func TestStackLimit(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bin := buildGpusim(t)
	refused, tries := 0, 0
	for ; tries < 60 && refused < 3; tries++ {
		cmd := exec.Command(sh, "-c", `ulimit -s 16 || exit 99; exec "$0" run --engine parallel --lanes 1e6 --steps 10 -q`, bin)
		cmd.Dir = t.TempDir()
		out, _ := cmd.CombinedOutput()
		switch code := cmd.ProcessState.ExitCode(); {
		case code == 99:
			t.Skipf("ulimit -s 16 refused here: %s", out)
		case code == exitUsage && strings.HasPrefix(string(out), "gpusim: error: ulimit -s: the stack limit (ulimit -s 16) gives each thread 16 KiB, under the 64 KiB gpusim's threads need"):
			refused++
		case len(out) > 0:
			t.Fatalf("ulimit -s 16: exit %d; want 2 and the refusal\n%s", code, out)
		}
	}
	if refused == 0 {
		t.Errorf("ulimit -s 16: none of %d runs refused, all died without a word; want the refusal", tries)
	}
}
