package report

import (
	"testing"
	"time"
)

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		91 * time.Microsecond:      "91 us",
		895170 * time.Microsecond:  "895.2 ms",
		3214514 * time.Microsecond: "3.215 s",
	} {
		if got := FmtDuration(d); got != want {
			t.Errorf("FmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
