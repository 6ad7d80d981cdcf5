package gpu

import (
	"testing"

	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestTestsWaitLong: the package's tests wait on the driver as
// GPUSIM_DRIVER_WAIT says, cltest.DriverWait (60 s) where it is not set
// (cltest.Main, TestMain): they waited the default 10 s, and pocl's slow
// answer on a loaded machine read as a driver that did not answer.
func TestTestsWaitLong(t *testing.T) {
	d, err := DriverWaitFromEnv()
	if err != nil {
		t.Skipf("GPUSIM_DRIVER_WAIT: %v", err)
	}
	if d == DefaultDriverWait && d != cltest.DriverWait {
		t.Errorf("GPUSIM_DRIVER_WAIT is the default %v, not cltest.DriverWait %v: TestMain did not call cltest.Main", d, cltest.DriverWait)
	}
	if answerWait != d {
		t.Errorf("answerWait %v, want GPUSIM_DRIVER_WAIT's %v: TestMain did not pass SetAnswerWait to cltest.Main", answerWait, d)
	}
}
