package report

import (
	"math"
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

func TestNum(t *testing.T) {
	for _, c := range []struct {
		x    float64
		dec  int
		want string
	}{
		{72.00291, 4, "72.0029"}, {0, 4, "0.0000"}, {-3.5, 2, "-3.50"}, {99999999, 4, "99999999.0000"},
		{1e36, 4, "1.000000e+36"}, {-4.8e36, 4, "-4.800000e+36"}, {1e-45, 4, "1.000000e-45"}, {0.0012, 4, "0.0012"},
		{0.00012, 4, "1.200000e-04"}, {math.NaN(), 4, "-"}, {math.Inf(-1), 2, "-"},
	} {
		if got := num(c.x, c.dec); got != c.want {
			t.Errorf("num(%g, %d) = %q, want %q", c.x, c.dec, got, c.want)
		}
	}
}

// TestFmtSeconds: a merge's total past a time.Duration prints as seconds
// (two parts of 9.2e9 s each used to print "-9223372036854776 us").
func TestFmtSeconds(t *testing.T) {
	for s, want := range map[float64]string{0.5: "500.0 ms", 2: "2.000 s", 1.84e10: "1.84e+10 s"} {
		if got := fmtSeconds(s); got != want {
			t.Errorf("fmtSeconds(%g) = %q, want %q", s, got, want)
		}
	}
}
