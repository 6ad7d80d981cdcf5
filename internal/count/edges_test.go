package count

import (
	"math"
	"regexp"
	"strings"
	"testing"
)

// TestSIAndTimeAtTheEdges: a value at the rounding edge of each unit
// (999.5 of one, and the floats either side of it) is written in one
// unit, from 1 to below 1000 of it, never in e notation or as "0.999" of
// the next: SI(999.5e21, 3) read "0.999Y" and SI(999.5e24, 3) "1e+03Y";
// Time of a hair under a year read "0.999 years".
func TestSIAndTimeAtTheEdges(t *testing.T) {
	form := regexp.MustCompile(`^([1-9][0-9]{0,2}(\.[0-9]+)?[kMGTPEZYRQ]|1000Q|[0-9]{1,3}(\.[0-9]+)?)$`)
	for p := 3; p <= 33; p += 3 {
		edge := 999.5 * math.Pow10(p-3)
		for _, x := range []float64{edge, math.Nextafter(edge, 0), math.Nextafter(edge, math.Inf(1))} {
			if s := SI(x, 3); !form.MatchString(s) {
				t.Errorf("SI(%v, 3) = %q, want 1 to 999 of one unit", x, s)
			}
		}
	}
	const day, year = 86400.0, 365.25 * 86400
	for _, edge := range []float64{year * 0.9995, day * 0.9995, 999.5 * year, 999.5e3 * year} {
		for _, x := range []float64{edge, math.Nextafter(edge, 0), math.Nextafter(edge, math.Inf(1))} {
			if s := Time(x); strings.HasPrefix(s, "0.") || strings.Contains(s, "e+") {
				t.Errorf("Time(%v) = %q, want 1 or more of its unit", x, s)
			}
		}
	}
}
