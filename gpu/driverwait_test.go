package gpu

import (
	"strings"
	"testing"
	"time"

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

// TestDriverWaitBadForm: a malformed GPUSIM_DRIVER_WAIT's error gives an
// example within its range: it gave count's lane-count examples ("such as
// 5000000, ... 2^64-1"), all past 3600 s.
func TestDriverWaitBadForm(t *testing.T) {
	for _, v := range []string{"abc", "10s", "1.5"} {
		t.Setenv(EnvDriverWait, v)
		_, err := DriverWaitFromEnv()
		if err == nil {
			t.Errorf("%q: no error", v)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, v) || !strings.Contains(msg, "valid range 1..3600") || strings.Contains(msg, "5e6") || strings.Contains(msg, "2^64") {
			t.Errorf("%q: error %q: want the value, the range 1..3600 and no example outside it", v, msg)
		}
	}
	// Spaces around the value are ignored, as around a flag's: " 60"
	// was refused.
	for _, v := range []string{" 60", "60 ", "\t60\n"} {
		t.Setenv(EnvDriverWait, v)
		if d, err := DriverWaitFromEnv(); err != nil || d != 60*time.Second {
			t.Errorf("%q: %v, %v; want 1m0s", v, d, err)
		}
	}
}
