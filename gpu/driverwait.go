package gpu

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/count"
)

// EnvDriverWait is the variable that sets answerWait, in whole seconds:
// a driver can be slow without being hung (NVIDIA's without its
// persistence daemon sets each GPU up on first use, seconds each; a
// loaded node; a driver on a network file system).
const EnvDriverWait = "GPUSIM_DRIVER_WAIT"

// DefaultDriverWait is answerWait where EnvDriverWait is not set.
const DefaultDriverWait = 10 * time.Second

// maxDriverWait is the most EnvDriverWait takes, in seconds: an hour.
const maxDriverWait = 3600

// DriverWaitFromEnv reads EnvDriverWait: DefaultDriverWait where it is
// unset or empty, else its whole seconds within 1..maxDriverWait; a
// malformed value or one out of range is an error that names the range.
func DriverWaitFromEnv() (time.Duration, error) {
	// Spaces around the value are ignored, as around a flag's
	// (docs/flags.md): " 60" was refused.
	s := strings.TrimSpace(os.Getenv(EnvDriverWait))
	if s == "" {
		return DefaultDriverWait, nil
	}
	n, err := count.ParseIn(s, 1, maxDriverWait)
	if errors.Is(err, count.ErrForm) {
		// count's examples (5e6, 2^64-1) are lane counts, far past
		// the range of a wait.
		err = fmt.Errorf("%q: want a whole number of seconds such as 60 (valid range %s)", s, count.Range(1, maxDriverWait))
	}
	if err != nil {
		return 0, fmt.Errorf("%v: the whole seconds gpusim waits for the OpenCL driver to answer a call (default %g)", err, DefaultDriverWait.Seconds())
	}
	return time.Duration(n) * time.Second, nil
}

// SetAnswerWait sets answerWait, the longest a device's opening waits
// for one of the driver's calls, and a failed build's wait for its log
// (cl.SetBuildLogWait). It writes only a changed value: a
// process's commands (the tests') set it as each starts, while a call cut
// short in an earlier one may still read it.
func SetAnswerWait(d time.Duration) {
	if answerWait != d {
		answerWait = d
	}
	// A failed build's wait for its log and its program's release, which
	// stayed 10 s whatever GPUSIM_DRIVER_WAIT said.
	cl.SetBuildLogWait(d)
}
