//go:build unix

package interrupt

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCPUCheck: WatchCPU's stop comes CPUMargin before the hard limit,
// and a limit that leaves less than a beat of work after it (ulimit -t 1
// on 64 CPUs, ulimit -t 0, one mostly spent before the run) is refused
// with the limit to set.
func TestCPUCheck(t *testing.T) {
	for _, c := range []struct {
		hard  uint64
		used  time.Duration
		cpus  int
		stop  time.Duration // 0: refused
		least string
	}{
		{1, 0, 1, 600 * time.Millisecond, ""},
		{1, 50 * time.Millisecond, 2, 300 * time.Millisecond, ""},
		{1, 0, 64, 0, "ulimit -t 20 or more"},
		{0, 0, 1, 0, "ulimit -t 1 or more"},
		{1, 700 * time.Millisecond, 1, 0, "ulimit -t 2 or more"},
		{1 << 62, 0, 1, 0, ""}, // beyond a Duration: capped, not wrapped
	} {
		stop, err := cpuCheck(c.hard, c.used, c.cpus)
		var le *CPULimitError
		switch {
		case c.least == "" && c.hard == 1<<62:
			if err != nil || stop < 1000*time.Hour {
				t.Errorf("cpuCheck(%d, %v, %d) = %v, %v; want a stop far off", c.hard, c.used, c.cpus, stop, err)
			}
		case c.least == "":
			if err != nil || stop != c.stop {
				t.Errorf("cpuCheck(%d, %v, %d) = %v, %v; want %v", c.hard, c.used, c.cpus, stop, err, c.stop)
			}
		case !errors.As(err, &le) || !strings.Contains(err.Error(), c.least):
			t.Errorf("cpuCheck(%d, %v, %d) = %v, %v; want a *CPULimitError with %q", c.hard, c.used, c.cpus, stop, err, c.least)
		}
	}
}
