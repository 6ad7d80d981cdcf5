package rng

import (
	"math"
	"testing"
)

// TestConstantBits pins every float32 constant of the stream to the bits that
// docs/reproducibility.md lists, so the document and the code cannot drift.
func TestConstantBits(t *testing.T) {
	for _, c := range []struct {
		name string
		v    float32
		bits uint32
	}{
		{"P0", logP0, 0x3d9021bb}, {"P1", logP1, 0xbdebd1b8}, {"P2", logP2, 0x3def251a},
		{"P3", logP3, 0xbdfe5d4f}, {"P4", logP4, 0x3e11e9bf}, {"P5", logP5, 0xbe2aae50},
		{"P6", logP6, 0x3e4cceac}, {"P7", logP7, 0xbe7ffffc}, {"P8", logP8, 0x3eaaaaaa},
		{"Q1", logQ1, 0xb95e8083}, {"Q2", logQ2, 0x3f318000},
		{"S0", sinS0, 0xb94ca1f9}, {"S1", sinS1, 0x3c08839e}, {"S2", sinS2, 0xbe2aaaa3},
		{"C0", cosC0, 0x37ccf5ce}, {"C1", cosC1, 0xbab6061a}, {"C2", cosC2, 0x3d2aaaa5},
		{"SQRTHF", sqrtHalf, sqrtHalfBits}, {"T", oneMinusSqrtHal, oneMinusSqrtHalBits},
		{"SQRTHF", sqrtHalf, 0x3f3504f3}, {"T", oneMinusSqrtHal, 0x3e95f61a},
		{"PSI", PsiScale, 0x33490fdb},
	} {
		if got := math.Float32bits(c.v); got != c.bits {
			t.Errorf("%s: got %#x, want %#x", c.name, got, c.bits)
		}
	}
}
