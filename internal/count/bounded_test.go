package count

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// boundedDraws is how many random float64 bit patterns TestBoundedForms
// writes with Sig3 and SI: every exponent is drawn as often as any other,
// so each of the 2046 binary exponents gets about 30.
const boundedDraws = 60_000

// boundedSeed is the draws' seed.
const boundedSeed = 332

// siMult is what each of SI's prefixes multiplies by.
var siMult = map[byte]int{'k': 3, 'M': 6, 'G': 9, 'T': 12, 'P': 15, 'E': 18, 'Z': 21, 'Y': 24, 'R': 27, 'Q': 30}

// readBack is a number as Sig3 and SI write it (decimals, an SI prefix,
// m×10^n) in e notation, for a parser, or fails the test.
func readBack(t *testing.T, s string) string {
	t.Helper()
	num, exp := s, 0
	if i := strings.Index(s, "×10^"); i >= 0 {
		n, err := strconv.Atoi(s[i+len("×10^"):])
		if err != nil {
			t.Fatalf("%q: exponent: %v", s, err)
		}
		num, exp = s[:i], n
	} else if n := len(s); n > 0 && siMult[s[n-1]] > 0 {
		num, exp = s[:n-1], siMult[s[n-1]]
	}
	// The number itself is plain: digits, a point, a leading minus.
	if strings.ContainsAny(num, "eE+") {
		t.Fatalf("%q: %q is not plain decimals", s, num)
	}
	return num + "e" + strconv.Itoa(exp)
}

// checkBounded fails where s, written for x to digits significant digits,
// is longer than most, in e notation, or not within its digits' rounding
// of x (half a unit in its last digit, relative to x, 5e-3 at 3 digits).
func checkBounded(t *testing.T, what string, x float64, digits, most int, s string) {
	t.Helper()
	if n := utf8.RuneCountInString(s); n > most {
		t.Errorf("%s(%v) = %q: %d characters, want at most %d", what, x, s, n, most)
	}
	if strings.Contains(s, "e") || strings.Contains(s, "E+") || strings.Contains(s, "E-") {
		t.Errorf("%s(%v) = %q: in e notation", what, x, s)
	}
	if x == 0 {
		if s != "0" && s != "-0" {
			t.Errorf("%s(%v) = %q, want 0", what, x, s)
		}
		return
	}
	text := readBack(t, s)
	var rel float64
	if g, err := strconv.ParseFloat(text, 64); err == nil && math.Abs(x) >= 0x1p-1000 {
		rel = (g - x) / x // both normal: within float64's rounding
	} else {
		// A subnormal, whose float64 would round off its digits, or past
		// float64's largest (1.8×10^308).
		got, _, err := big.ParseFloat(text, 10, 256, big.ToNearestEven)
		if err != nil {
			t.Fatalf("%s(%v) = %q does not read back: %v", what, x, s, err)
		}
		want := new(big.Float).SetPrec(256).SetFloat64(x)
		rel, _ = new(big.Float).Quo(new(big.Float).Sub(got, want), want).Float64()
	}
	if tol := 0.5 * math.Pow10(1-digits) * (1 + 1e-9); math.Abs(rel) > tol {
		t.Errorf("%s(%v) = %q reads back %.6g off, past %g", what, x, s, rel, tol)
	}
}

// boundedValues is every float64 of the draws and the edges: powers of
// ten and the rounding edges of each unit and form (999.5 of one, 9.995
// and 9.9995 before a power), either side of each, the extremes and
// subnormals.
func boundedValues() []float64 {
	r := rand.New(rand.NewPCG(boundedSeed, 0))
	var xs []float64
	for range boundedDraws {
		x := math.Float64frombits(r.Uint64())
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			xs = append(xs, x)
		}
	}
	for p := -325; p <= 308; p++ {
		for _, m := range []float64{1, 9.995, 9.9995, 0.9995} {
			e := m * math.Pow(10, float64(p))
			if math.IsInf(e, 0) {
				continue
			}
			xs = append(xs, e, math.Nextafter(e, 0), math.Nextafter(e, math.Inf(1)))
		}
	}
	return append(xs, 0, math.MaxFloat64, math.SmallestNonzeroFloat64, 2*math.SmallestNonzeroFloat64,
		math.Float64frombits(0x000fffffffffffff), Tiny, SIHuge, SIBig, 1e-300, 1e300)
}

// TestBoundedForms: over the whole float64 range, Sig3 and SI (3 and 4
// digits) write at most 14, 14 and 15 characters (-0.00000000229), never in e notation,
// and read back within their digits. Sig3(1e-300) wrote 302 characters,
// SI(1e300, 3) 271 digits and a Q, SI(1e-5, 3) "1e-05"; Time, whose
// number is theirs, likewise (Time(1e308) wrote 298 digits of years).
func TestBoundedForms(t *testing.T) {
	for _, v := range boundedValues() {
		for _, x := range []float64{v, -v} {
			checkBounded(t, "Sig3", x, 3, 14, Sig3(x))
			checkBounded(t, "SI3", x, 3, 14, SI(x, 3))
			checkBounded(t, "SI4", x, 4, 15, SI(x, 4))
		}
		// Time's number, before its unit, is Sig3's or SI's.
		if a := math.Abs(v); a > 0 {
			tm := Time(a)
			n, unit, _ := strings.Cut(tm, " ")
			if !slices.Contains([]string{"s", "day", "days", "year", "years"}, unit) || utf8.RuneCountInString(n) > 14 || strings.Contains(n, "e") {
				t.Errorf("Time(%v) = %q, want a bounded number and its unit", a, tm)
			}
		}
		if t.Failed() {
			return
		}
	}
}

// TestBoundedExamples: the forms past the prefixes and the decimals.
func TestBoundedExamples(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Sig3(1e-300), "1×10^-300"}, {Sig3(-1.234e-12), "-1.23×10^-12"},
		{Sig3(1e-9), "0.000000001"}, {Sig3(9.996e-10), "0.000000001"}, {Sig3(9.99e-10), "9.99×10^-10"},
		{Sig3(math.SmallestNonzeroFloat64), "4.94×10^-324"}, {Sig3(math.MaxFloat64), "1.8×10^308"},
		{SI(1e300, 3), "1×10^300"}, {SI(999.4e33, 3), "999000Q"}, {SI(999.5e33, 3), "1×10^36"},
		{SI(1234.5e30, 3), "1230Q"}, {SI(1e-5, 3), "0.00001"}, {SI(0.25, 3), "0.25"}, {SI(-5000, 3), "-5k"},
		{Time(1e308), "3.17×10^300 years"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
