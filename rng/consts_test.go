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
		{"P0", LogP0, 0x3d9021bb}, {"P1", LogP1, 0xbdebd1b8}, {"P2", LogP2, 0x3def251a},
		{"P3", LogP3, 0xbdfe5d4f}, {"P4", LogP4, 0x3e11e9bf}, {"P5", LogP5, 0xbe2aae50},
		{"P6", LogP6, 0x3e4cceac}, {"P7", LogP7, 0xbe7ffffc}, {"P8", LogP8, 0x3eaaaaaa},
		{"Q1", LogQ1, 0xb95e8083}, {"Q2", LogQ2, 0x3f318000},
		{"S0", SinS0, 0xb94ca1f9}, {"S1", SinS1, 0x3c08839e}, {"S2", SinS2, 0xbe2aaaa3},
		{"C0", CosC0, 0x37ccf5ce}, {"C1", CosC1, 0xbab6061a}, {"C2", CosC2, 0x3d2aaaa5},
		{"SQRTHF", sqrtHalf, SqrtHalfBits}, {"T", oneMinusSqrtHal, OneMinusSqrtHalfBits},
		{"SQRTHF", sqrtHalf, 0x3f3504f3}, {"T", oneMinusSqrtHal, 0x3e95f61a},
		{"PSI", PsiScale, 0x33490fdb},
	} {
		if got := math.Float32bits(c.v); got != c.bits {
			t.Errorf("%s: got %#x, want %#x", c.name, got, c.bits)
		}
	}
}
