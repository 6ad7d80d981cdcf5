//go:build goexperiment.simd && amd64

package cpu

import (
	"math/rand/v2"
	"testing"

	"simd/archsimd"

	"github.com/gpusim/gpusim/rng"
)

// TestPhiloxAsm checks the assembly Philox (philox16 and philoxPair16) and
// philox8 against rng.Philox, the reference that Random123's known-answer
// vectors pin (rng's tests), lane by lane: counters (b, lo, hi, 0) with
// every word's bits exercised, including blocks and high words near 2^32,
// under random keys.
func TestPhiloxAsm(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU: the assembly never runs")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		key := [2]uint32{r.Uint32(), r.Uint32()}
		ks := newKeySchedule(key)
		b := r.Uint32()
		if trial%4 == 0 {
			b = ^uint32(trial)
		}
		var ctr [4][16]uint32
		for i := range ctr {
			for j := range ctr[i] {
				ctr[i][j] = r.Uint32()
			}
		}
		var words [8][16]uint32
		var got [8]archsimd.Uint32x16
		got[0], got[1], got[2], got[3], got[4], got[5], got[6], got[7] = philoxPair16(b, &ctr, ks, &words)
		var single [4]archsimd.Uint32x16
		single[0], single[1], single[2], single[3] = philox16(b, archsimd.LoadUint32x16(&ctr[2]), archsimd.LoadUint32x16(&ctr[3]), ks)
		var narrow [4]archsimd.Uint32x8
		narrow[0], narrow[1], narrow[2], narrow[3] = philox8(b, archsimd.LoadUint32x8((*[8]uint32)(ctr[0][:8])), archsimd.LoadUint32x8((*[8]uint32)(ctr[1][:8])), ks)
		var out [8][16]uint32
		for i := range got {
			got[i].Store(&out[i])
		}
		var one [4][16]uint32
		for i := range single {
			single[i].Store(&one[i])
		}
		var eight [4][8]uint32
		for i := range narrow {
			narrow[i].Store(&eight[i])
		}
		for g := range 2 {
			for j := range 16 {
				w0, w1, w2, w3 := rng.Philox(b, ctr[2*g][j], ctr[2*g+1][j], 0, key[0], key[1])
				want := [4]uint32{w0, w1, w2, w3}
				for w := range 4 {
					if out[4*g+w][j] != want[w] {
						t.Fatalf("#%d pair group %d lane %d word %d: got %#x, want %#x", trial, g, j, w, out[4*g+w][j], want[w])
					}
					if g == 1 && one[w][j] != want[w] {
						t.Fatalf("#%d philox16 lane %d word %d: got %#x, want %#x", trial, j, w, one[w][j], want[w])
					}
					if g == 0 && j < 8 && eight[w][j] != want[w] {
						t.Fatalf("#%d philox8 lane %d word %d: got %#x, want %#x", trial, j, w, eight[w][j], want[w])
					}
				}
			}
		}
	}
	archsimd.ClearAVXUpperBits()
}
