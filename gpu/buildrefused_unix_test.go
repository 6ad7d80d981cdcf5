//go:build unix

package gpu

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestBuildRefusedLabeled: the note on a device of auto's calibration that
// a start would compile asks whether a build fits the process's limits
// without loading the driver: BuildRefused listed the devices, 85 ms of
// pocl's loading that a calibrated run of 30 ms on simd then counted, so
// that every other default run on a machine whose device was not compiled
// yet dropped its calibration and measured again. Under ulimit -f a pocl
// device's label still gets pocl's refusal, and another's none. In a
// child process, whose devices no other test has listed.
func TestBuildRefusedLabeled(t *testing.T) {
	if os.Getenv("GPUSIM_TEST_LABELED") == "" {
		t.Log(testenv.RunTest(t, "TestBuildRefusedLabeled", "GPUSIM_TEST_LABELED=1"))
		return
	}
	if err := BuildRefusedLabeled(0, "pthread-x (pocl, CPU, float x16)"); err != nil {
		t.Fatalf("no limit: %v", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	if err := BuildRefusedLabeled(0, "pthread-x (pocl, CPU, float x16)"); err == nil || !strings.Contains(err.Error(), "pocl cannot build the program under the file-size limit") {
		t.Errorf("pocl under ulimit -f 1 MiB: %v, want pocl's refusal", err)
	}
	if err := BuildRefusedLabeled(0, "NVIDIA H200 (NVIDIA, GPU, float)"); err != nil {
		t.Errorf("another driver under ulimit -f 1 MiB: %v, want none", err)
	}
	if Listed() {
		t.Error("the devices were listed (the driver loaded) to word a note")
	}
}
