package sim

import (
	"math"
	"reflect"
	"testing"
)

// TestRoundings: a parameter is listed where float32 moves it by more than
// its shortest decimal shows, or moves persistence's distance to 1 by more
// than a thousandth of it; not where float32 holds it to the digits typed.
func TestRoundings(t *testing.T) {
	for _, c := range []struct {
		start, anchor, p, sigma float64
		want                    []ParamRounding
	}{
		{75, 72, 0.5, 5, nil},
		{0.1, -3.3, 0.9, 0.25, nil}, // inexact, but float32's shortest decimal is what was typed
		{16777217, 72, 0.5, 5, []ParamRounding{{"start", 16777217, 16777216}}},
		{75, 0.1000000001, 0.5, 5, []ParamRounding{{"anchor", 0.1000000001, float64(float32(0.1))}}},
		{75, 72, 0.9999999, 5, []ParamRounding{{"persistence", 0.9999999, float64(float32(0.9999999))}}},
		{75, 72, -0.9999999, 5, []ParamRounding{{"persistence", -0.9999999, float64(float32(-0.9999999))}}},
		{75, 72, 0.999, 5, nil},   // 1 - p moves by 2e-5 of itself
		{75, 72, 0.5, 1e-40, nil}, // subnormal, as typed (moved by 5e-6 of itself)
		// Subnormals that float32 moves by more than a thousandth of
		// themselves, whose shortest decimal reads as typed: --sigma
		// 1e-45 ran at 1.4e-45 (an exact sd of 1.62e-45 after 10 steps
		// at persistence 0.5, not 1.15e-45) with a job line of 1e-45.
		{75, 72, 0.5, 1e-45, []ParamRounding{{"sigma", 1e-45, 0x1p-149}}},
		{75, 72, 0.5, 3e-45, []ParamRounding{{"sigma", 3e-45, 0x1p-148}}},
		{1e-44, -1e-43, 0.5, 5, []ParamRounding{{"start", 1e-44, 7 * 0x1p-149}, {"anchor", -1e-43, -71 * 0x1p-149}}},
		{0x1p-149, 72, 0.5, 5, nil}, // exact
		{75, 72, 0.5, 1.2345678e-40, []ParamRounding{{"sigma", 1.2345678e-40, float64(float32(1.2345678e-40))}}},
		{75, 72, 0.5, 1e-50, []ParamRounding{{"sigma", 1e-50, 0}}},
		{math.Ldexp(1, 126), 72, 0.5, 5, nil},
	} {
		p := Params{Lanes: 1, Steps: 1, Start: c.start, Anchor: c.anchor, Persistence: c.p, Sigma: c.sigma}
		if got := p.Roundings(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: Roundings() = %v, want %v", p, got, c.want)
		}
	}
	if got := F32Text(float32(16777217)); got != "1.6777216e+07" {
		t.Errorf("F32Text(16777217) = %q", got)
	}
}
