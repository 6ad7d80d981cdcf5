//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/gpusim/gpusim/rng"
)

// caseWords are words where rng.Radius's and rng.SinCos's reductions
// switch cases (octant edges, the halves, the sqrt(1/2) thresholds, the
// 24-bit mantissa's ends), as rng's tests list them.
func caseWords() []uint32 {
	ws := []uint32{0, 1, 2, 0xff, 0x100, 0x7fffff, 0x800000, 0xffffff, 0x1000000, math.MaxUint32, math.MaxUint32 - 1}
	for _, c := range []uint32{1 << 29, 1 << 30, 3 << 29, 1 << 31, 5 << 29, 3 << 30, 7 << 29, 0} {
		for d := range uint32(130) {
			ws = append(ws, c+d, c-d-1)
		}
	}
	for _, u := range []float64{math.Sqrt2 / 2, 1 - math.Sqrt2/2, 0.25, 0.125} {
		w := uint32(u * (1 << 32))
		for d := range uint32(600) {
			ws = append(ws, w+d-300, ^(w + d - 300))
		}
	}
	// Words whose u (or 1-u) rounds to a float32 at, just below or just
	// above a threshold of LogArg's compares (the near one, and sqrt(1/2)
	// in the binades below 0.5): random words hit them with odds of about
	// 1e-8 each.
	targets := []uint32{rng.OneMinusSqrtHalfBits + 1}
	for k := 1; k <= 6; k++ {
		targets = append(targets, math.Float32bits(float32(math.Ldexp(math.Sqrt2/2, -k))))
	}
	for _, t := range targets {
		g := float64(math.Float32frombits(t))
		w0 := uint32(g * (1 << 32))
		for w := w0 - 400; w != w0+400; w++ {
			if b := math.Float32bits(rng.Half33(w)); b+1 >= t && b <= t+1 {
				ws = append(ws, w, ^w)
			}
		}
	}
	return ws
}

// TestNormalsAsm: normals16x2 gives rng.Normals's bits for every lane of
// both groups, on the case words in every word position and on a million
// random words.
func TestNormalsAsm(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU: the assembly never runs")
	}
	ws := caseWords()
	r := rand.New(rand.NewPCG(3, 4))
	for range 1 << 20 {
		ws = append(ws, r.Uint32())
	}
	// Each lane takes four consecutive words, rotated by k so that each
	// word meets each position.
	for k := range 4 {
		for base := 0; base < len(ws); base += 128 {
			var words, in [8][16]uint32
			for g := range 2 {
				for j := range 16 {
					for w := range 4 {
						in[4*g+w][j] = ws[(base+k+64*g+4*j+w)%len(ws)]
					}
				}
			}
			words = in
			normals16x2(&words, &normalConst)
			for g := range 2 {
				for j := range 16 {
					z0, z1, z2, z3 := rng.Normals(in[4*g][j], in[4*g+1][j], in[4*g+2][j], in[4*g+3][j])
					for w, want := range [4]float32{z0, z1, z2, z3} {
						if got := words[4*g+w][j]; got != math.Float32bits(want) {
							t.Fatalf("words %#x: normal %d = %#x, want %#x (%g)", [4]uint32{in[4*g][j], in[4*g+1][j], in[4*g+2][j], in[4*g+3][j]},
								w, got, math.Float32bits(want), want)
						}
					}
				}
			}
		}
	}
}

// TestNormalConstsLayout: normals_amd64.s reads normalConsts at the
// offsets its C_ constants give, and the constants equal vc's.
func TestNormalConstsLayout(t *testing.T) {
	c := &normalConst
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"one", unsafe.Offsetof(c.one), 0}, {"byteMask", unsafe.Offsetof(c.byteMask), 4},
		{"mant", unsafe.Offsetof(c.mant), 8}, {"half", unsafe.Offsetof(c.half), 12},
		{"sqrtHalf", unsafe.Offsetof(c.sqrtHalf), 16}, {"bias", unsafe.Offsetof(c.bias), 20},
		{"nearBits", unsafe.Offsetof(c.nearBits), 24}, {"sign", unsafe.Offsetof(c.sign), 28},
		{"k24", unsafe.Offsetof(c.k24), 32}, {"two", unsafe.Offsetof(c.two), 36},
		{"four", unsafe.Offsetof(c.four), 40}, {"f256", unsafe.Offsetof(c.f256), 44},
		{"f2m33", unsafe.Offsetof(c.f2m33), 48}, {"f1", unsafe.Offsetof(c.f1), 52},
		{"fHalf", unsafe.Offsetof(c.fHalf), 56}, {"fm2", unsafe.Offsetof(c.fm2), 60},
		{"logQ1", unsafe.Offsetof(c.logQ1), 64}, {"logQ2", unsafe.Offsetof(c.logQ2), 68},
		{"psiScale", unsafe.Offsetof(c.psiScale), 72}, {"logP", unsafe.Offsetof(c.logP), 76},
		{"sinS", unsafe.Offsetof(c.sinS), 112}, {"cosC", unsafe.Offsetof(c.cosC), 124},
	} {
		if f.got != f.want {
			t.Errorf("normalConsts.%s at offset %d, normals_amd64.s reads it at %d", f.name, f.got, f.want)
		}
	}
	u := []uint32{c.one, c.byteMask, c.mant, c.half, c.sqrtHalf, c.bias, c.nearBits, c.sign, c.k24, c.two, c.four}
	uv := [][16]uint32{vc.one, vc.byteMask, vc.mant, vc.half, vc.sqrtHalf, vc.bias, vc.nearBits, vc.sign, vc.k24, vc.two, vc.four}
	for i := range u {
		if u[i] != uv[i][0] {
			t.Errorf("integer constant %d: %#x, vc has %#x", i, u[i], uv[i][0])
		}
	}
	f := append([]float32{c.f256, c.f2m33, c.f1, c.fHalf, c.fm2, c.logQ1, c.logQ2, c.psiScale}, append(c.logP[:], append(c.sinS[:], c.cosC[:]...)...)...)
	fv := append([][16]float32{vc.f256, vc.f2m33, vc.f1, vc.fHalf, vc.fm2, vc.logQ1, vc.logQ2, vc.psiScale}, append(vc.logP[:], append(vc.sinS[:], vc.cosC[:]...)...)...)
	for i := range f {
		if math.Float32bits(f[i]) != math.Float32bits(fv[i][0]) {
			t.Errorf("float constant %d: %g, vc has %g", i, f[i], fv[i][0])
		}
	}
}
