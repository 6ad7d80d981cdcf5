package count

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for s, want := range map[string]uint64{
		"0": 0, "1": 1, "010": 10, "08": 8, "5000000": 5e6, "5_000_000": 5e6, "1_0": 10,
		"5e6": 5e6, "5E6": 5e6, "5e+6": 5e6, "2.5e6": 2.5e6, "10.0": 10, "10.": 10, ".5e1": 5, "1e0": 1,
		"1000e-3": 1, "5M": 5e6, "2.5M": 2.5e6, "500k": 5e5, "500K": 5e5, "1G": 1e9, "2T": 2e12,
		// P and E, as SI writes the largest counts (18.4E: 2^64-1 in the
		// progress bar); E at the end only, 5E6 is still 5e6.
		"2P": 2e15, "1E": 1e18, "18.4E": 18.4e18, "1.5P": 1.5e15,
		"2^28": 1 << 28, "2^0": 1, "0^5": 0, "1^99999": 1, "2^63": 1 << 63, "10^19": 1e19,
		"18446744073709551615": math.MaxUint64, "1.8446744073709551615e19": math.MaxUint64,
		"0e99999": 0, "0e9999999": 0, "0.00e-9999999": 0, "0_0e+12345678": 0, "00000000000000000000000001": 1,
		"0x10": 16, "0X4C4B40": 5e6, "0xdead_beef": 0xdeadbeef, "0xffffffffffffffff": math.MaxUint64, "0x0": 0,
		"0x00000000000000000001": 1,
		// The power form plus or minus a term, as the help writes the
		// ends of ranges: exact at 2^64-1, though 2^64 overflows.
		"2^64-1": math.MaxUint64, "2^32+1": 1<<32 + 1, "2^32-0": 1 << 32, "10^19-1": 1e19 - 1, "2^0-1": 0,
		"2^1_0+1_000": 2024, "2^66-55340232221128654849": math.MaxUint64, "0^0": 1, "0^99999999999999999999": 0,
		"1^99999999999999999999+1": 2, "18446744073709551616^0": 1, "18446744073709551616^1-1": math.MaxUint64,
		// A sign: + as a float flag takes it; -0 is 0.
		"+5": 5, "+0x10": 16, "+2^64-1": math.MaxUint64, "-0": 0, "-0e5": 0, "-0x0": 0, "-2^0+1": 0, "2^+1": 2, "1^-5": 1, "-0^5": 0,
	} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for s, want := range map[string]error{
		"": ErrForm, "-": ErrForm, "+": ErrForm, "++1": ErrForm, "+-1": ErrForm, "--1": ErrForm, "-+1": ErrForm, "1_": ErrForm, "_1": ErrForm, "1__0": ErrForm,
		"0x": ErrForm, "0xg": ErrForm, "0x_1": ErrForm, "0x1_": ErrForm, "0x1__0": ErrForm, "0x-1": ErrForm,
		"0x1p4": ErrForm, "x10": ErrForm, "00x10": ErrForm, "0x1k": ErrForm, "1e": ErrForm, "e5": ErrForm, ".": ErrForm, "5m": ErrForm, "5MM": ErrForm,
		"1.5.0": ErrForm, " 1": ErrForm, "2^": ErrForm, "^2": ErrForm, "1e1.5": ErrForm,
		"nan": ErrForm, "inf": ErrForm, "5 M": ErrForm,
		// An exponent and a suffix: 1e2k read as 100000.
		"1e2k": ErrForm, "2e3M": ErrForm, "1E0G": ErrForm, "5e-3k": ErrForm, "0e0T": ErrForm, "1E5E": ErrForm, "E": ErrForm, "5p": ErrForm, "20E": ErrOverflow,
		"2.5": ErrFraction, "1e-1": ErrFraction, "1.5k5": ErrForm, "0.0001k": ErrFraction,
		"18446744073709551616": ErrOverflow, "2^64": ErrOverflow, "1e20": ErrOverflow,
		"2^64-": ErrForm, "2^64+": ErrForm, "2^64-1-1": ErrForm, "2^64-1e0": ErrForm, "2^64-0x1": ErrForm, "2^64--1": ErrForm,
		"2^64+0": ErrOverflow, "2^64-0": ErrOverflow, "2^63+2^63": ErrForm, "2^99999999999999999999-1": ErrOverflow, "3^41-1": ErrOverflow,
		"-1": ErrNegative, "-1,000": ErrNegative, "-5'000'000": ErrNegative, "-5e6": ErrNegative, "-0.5": ErrNegative, "-2^64": ErrNegative, "-0x10": ErrNegative, "2^3-9": ErrNegative, "0^1-1": ErrNegative, "-2^0-1": ErrNegative, "2^-1": ErrFraction, "2^-99999999999": ErrFraction, "0^-1": ErrForm, "2^1-+1": ErrForm, "2^^1": ErrForm, "^": ErrForm, "2^1_": ErrForm, "-2^2000": ErrOverflow, "-x": ErrForm,
		"1e9999999": ErrOverflow, "1e-9999999": ErrFraction, "1e99999x9": ErrForm, "0x1_0000_0000_0000_0000": ErrOverflow, "99999999999999999999": ErrOverflow, "2e19": ErrOverflow,
	} {
		if got, err := Parse(s); !errors.Is(err, want) {
			t.Errorf("Parse(%q) = %d, %v; want %v", s, got, err, want)
		}
	}
}

// TestScalesError: 1e2k is refused saying why (the error listed 5e6 and
// 2.5M as the forms a count takes, both of which it has).
func TestScalesError(t *testing.T) {
	if _, err := ParseIn("1e2k", 1, 10); err == nil || !strings.HasPrefix(err.Error(), "an exponent and a suffix together are not read") || !errors.Is(err, ErrForm) {
		t.Errorf("ParseIn(1e2k): %v", err)
	}
}

// TestSuffixCaseError: a count with m, g or t, which reads with M, G or
// T, says which suffix is read (--steps 5m read "want a whole number such
// as ..." as for any typo); one that no case makes a count, a negative one
// and the suffixes of either case (k, K) are as before.
func TestSuffixCaseError(t *testing.T) {
	for in, want := range map[string]string{
		"5m":   "M is the million suffix, m is not read: write 5M (valid range 1..10)",
		"5g":   "G is the billion suffix, g is not read: write 5G (valid range 1..10)",
		"2.5t": "T is the trillion suffix, t is not read: write 2.5T (valid range 1..10)",
		"-5m":  "-5m is negative (valid range 1..10)",
		"5mm":  ErrForm.Error() + " (valid range 1..10)",
		"m":    ErrForm.Error() + " (valid range 1..10)",
		"0x5m": ErrForm.Error() + " (valid range 1..10)",
		"5K":   "5000 is out of range (valid range 1..10)",
	} {
		_, err := ParseIn(in, 1, 10)
		if err == nil || err.Error() != want {
			t.Errorf("ParseIn(%q): %v, want %s", in, err, want)
		}
		if in != "-5m" && in != "5K" && !errors.Is(err, ErrForm) {
			t.Errorf("ParseIn(%q): %v is not ErrForm", in, err)
		}
	}
}

// TestDigitsError: a number in digits of another script (fullwidth, as
// an input method types them; Arabic-Indic; mathematical) says how to
// write it in ASCII; it read "want a whole number such as ..." as for a
// typo. Digits alone are not enough: one that is no count in ASCII either
// is ErrForm as before.
func TestDigitsError(t *testing.T) {
	for in, want := range map[string]string{
		"５": "5", "٣": "3", "５ｅ６": "5e6", "２．５Ｍ": "2.5M", "１２３": "123", "𝟓": "5", "০": "0",
	} {
		_, err := Parse(in)
		var de *DigitsError
		if !errors.As(err, &de) || de.ASCII != want || !errors.Is(err, ErrForm) {
			t.Errorf("Parse(%q): %v, want a DigitsError writing %q", in, err, want)
		}
	}
	for _, in := range []string{"５x", "¹", "x"} {
		if _, err := Parse(in); err != ErrForm {
			t.Errorf("Parse(%q): %v, want ErrForm", in, err)
		}
	}
	if _, err := Parse("５,０００"); err == nil || err.Error() != "thousands separators are not read: write 5000 or 5k" {
		t.Errorf("Parse(５,０００): %v", err)
	}
}

// TestMinusError: a count written with a minus sign other than ASCII's
// hyphen-minus (U+2212, as a document typesets 2^64-1; the en dash; the
// small and fullwidth hyphen-minus) names the sign and says how to write
// it; it read "want a whole number such as ..." as for a typo. One led by
// the sign is negative, as -５ is, and one that is no count with ASCII's
// sign is ErrForm as before.
func TestMinusError(t *testing.T) {
	for in, want := range map[string]string{
		"2^64\u22121": "\u2212 (U+2212) is not read as a minus sign: write 2^64-1 with the ASCII hyphen-minus -",
		"2^64\u20131": "\u2013 (U+2013) is not read as a minus sign: write 2^64-1 with the ASCII hyphen-minus -",
		"1e\ufe630":   "\ufe63 (U+FE63) is not read as a minus sign: write 1e-0 with the ASCII hyphen-minus -",
		"2^６４\uff0d1": "\uff0d (U+FF0D) is not read as a minus sign: write 2^64-1 with the ASCII hyphen-minus -",
	} {
		_, err := Parse(in)
		var me *MinusError
		if !errors.As(err, &me) || err.Error() != want || !errors.Is(err, ErrForm) {
			t.Errorf("Parse(%q): %v, want %s", in, err, want)
		}
	}
	for _, in := range []string{"\u22125", "\u20135", "\ufe635", "\uff0d5", "\u2212５", "\u22120"} {
		if _, err := ParseIn(in, 1, 10); err == nil || err.Error() != in+" is negative (valid range 1..10)" {
			t.Errorf("ParseIn(%q): %v, want negative", in, err)
		}
	}
	for _, in := range []string{"5\u2212", "x\u2212"} {
		if _, err := Parse(in); err != ErrForm {
			t.Errorf("Parse(%q): %v, want ErrForm", in, err)
		}
	}
}

// TestNegativeNoAdvice: a value led by - whose form a form error would
// advise rewriting is negative, with no advice: --lanes -0m said "write
// -0M", -５ "write -5", a negative value, and -1e2k to write the count
// with one scale.
func TestNegativeNoAdvice(t *testing.T) {
	for _, in := range []string{"-0m", "-0_0m", "-0t", "-５", "-０", "－５", "-１,０００", "-1e2k", "-0e2k", "-0,000"} {
		_, err := ParseIn(in, 1, 10)
		if want := in + " is negative (valid range 1..10)"; err == nil || err.Error() != want || !errors.Is(err, ErrNegative) {
			t.Errorf("ParseIn(%q): %v, want %s", in, err, want)
		}
	}
}

// TestParseInRangeWords: a count below, above, past 64 bits or negative
// names itself and the range in one wording ("X is out of range (valid
// range lo..hi)", "X is negative (...)"): 99999999999999999999 read "is
// too large for 64 bits" and -1 "is negative", neither naming the number,
// where 0 read "0 is out of range".
func TestParseInRangeWords(t *testing.T) {
	for in, want := range map[string]string{
		"0":                    "0 is out of range (valid range 1..1024)",
		"1025":                 "1025 is out of range (valid range 1..1024)",
		"99999999999999999999": "99999999999999999999 is out of range (valid range 1..1024)",
		"2^64":                 "2^64 is out of range (valid range 1..1024)",
		"-1":                   "-1 is negative (valid range 1..1024)",
		"-1,000":               "-1,000 is negative (valid range 1..1024)",
		"-2^3":                 "-2^3 is negative (valid range 1..1024)",
	} {
		_, err := ParseIn(in, 1, 1024)
		var re *RangeError
		if !errors.As(err, &re) || err.Error() != want {
			t.Errorf("ParseIn(%q, 1, 1024) = %v, want %q (a *RangeError)", in, err, want)
		}
	}
	if _, err := ParseIn("-1", 1, 10); !errors.Is(err, ErrNegative) {
		t.Errorf("ParseIn(-1): %v, want ErrNegative", err)
	}
	if _, err := ParseIn("2^64", 1, 10); !errors.Is(err, ErrOverflow) {
		t.Errorf("ParseIn(2^64): %v, want ErrOverflow", err)
	}
	if _, err := ParseList("1,-1", 1, 10); err == nil || err.Error() != "-1 is negative (valid range 1..10)" {
		t.Errorf("ParseList(1,-1): %v", err)
	}
}

func TestParseIn(t *testing.T) {
	if _, err := ParseIn("0", 1, 10); err == nil || err.Error() != "0 is out of range (valid range 1..10)" {
		t.Errorf("ParseIn(0, 1, 10): %v", err)
	}
	if _, err := ParseIn("x", 1, 10); err == nil || !errors.Is(err, ErrForm) {
		t.Errorf("ParseIn(x): %v", err)
	}
	got, err := ParseList("5M, 5e6,5_000_000,2^20,1k", 1, 1<<40)
	if err != nil || len(got) != 5 || got[0] != 5e6 || got[3] != 1<<20 || got[4] != 1000 {
		t.Errorf("ParseList = %v, %v", got, err)
	}
	// A list's malformed entry is quoted; one of spaces alone as given
	// (bench --lanes ' ' quoted "", a value nobody typed), and an empty one
	// among several by its place.
	for in, want := range map[string]string{
		"1,,2": `invalid value "1,,2": entry 2 of 3 is empty: want a whole number`,
		" ":    `invalid value " ": want a whole number`,
		"1, x": `invalid value "x": want a whole number`,
		"5,":   `invalid value "5,": entry 2 of 2 is empty: want a whole number`,
	} {
		if _, err := ParseList(in, 1, 9); err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "(valid range 1..9)") {
			t.Errorf("ParseList(%q): %v, want %s...", in, err, want)
		}
	}
}

// FuzzParse checks that every accepted string is a count whose decimal form
// parses back to the same number, and that plain decimals agree with strconv.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "010", "5_000_000", "2.5e6", "5M", "2^28", "1e-1", "18446744073709551615", ".5e1", "9^20", "0xdead_beef", "0XFF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if want, serr := strconv.ParseUint(s, 10, 64); serr == nil && (err != nil || n != want) {
			t.Fatalf("Parse(%q) = %d, %v; strconv says %d", s, n, err, want)
		}
		if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok && !strings.Contains(h, "_") {
			if want, serr := strconv.ParseUint(h, 16, 64); serr == nil && (err != nil || n != want) {
				t.Fatalf("Parse(%q) = %d, %v; strconv says %d", s, n, err, want)
			}
		}
		if err != nil {
			return
		}
		if back, err := Parse(strconv.FormatUint(n, 10)); err != nil || back != n {
			t.Fatalf("Parse(%q) = %d, which does not round-trip: %d, %v", s, n, back, err)
		}
	})
}

// TestPower: the power form's exact values, which the float flags round
// once: negative exponents, a sign on the power, and powers too small to
// matter beside a term (taken as 2^-1100).
func TestPower(t *testing.T) {
	tiny := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 1100))
	for _, c := range []struct {
		s, want string
		tiny    bool // want plus tiny
	}{
		{"2^126", "85070591730234615865843651857942052864", false}, {"-2^126", "-85070591730234615865843651857942052864", false},
		{"2^-24", "1/16777216", false}, {"-2^-1", "-1/2", false}, {"+2^3+1", "9", false}, {"-2^3+1", "-7", false},
		{"10^-2", "1/100", false}, {"0^0", "1", false}, {"1^-99999999999", "1", false}, {"2^64-1", "18446744073709551615", false},
		{"2^-99999999999+3", "3", true}, {"2^-99999999999", "0", true},
	} {
		w, _ := new(big.Rat).SetString(c.want)
		if c.tiny {
			w.Add(w, tiny)
		}
		if r, ok, err := Power(c.s); !ok || err != nil || r.Cmp(w) != 0 {
			t.Errorf("Power(%q) = %v, %v, %v; want %v", c.s, r, ok, err, w)
		}
	}
	if _, ok, _ := Power("2.5e6"); ok {
		t.Error("Power(2.5e6): ok, want not the power form")
	}
}

// TestGrouped: a number in groups of three with one kind of thousands
// separator is refused with a GroupedError, which is ErrForm and says how
// to write it; anything else with a separator is plain ErrForm.
func TestGrouped(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"5,000", "thousands separators are not read: write 5000 or 5k"},
		{"1'000'000", "thousands separators are not read: write 1000000 or 1M"},
		{"1’000", "thousands separators are not read: write 1000 or 1k"},
		{"2 500", "thousands separators are not read: write 2500"},
		{"5\u202f000\u202f000\u202f000", "thousands separators are not read: write 5000000000 or 5G"},
		{"3.000.000", "thousands separators are not read: write 3000000 or 3M"},
		{"2,000,000,000,000,000", "thousands separators are not read: write 2000000000000000 or 2P"},
		{"1,000,000,000,000,000,000", "thousands separators are not read: write 1000000000000000000 or 1E"},
		{"+12,345", "thousands separators are not read: write 12345"},
		{"999,999,999,999,999,999,999", "thousands separators are not read: write 999999999999999999999"},
	} {
		_, err := Parse(c.in)
		var ge *GroupedError
		if !errors.As(err, &ge) || !errors.Is(err, ErrForm) || err.Error() != c.want {
			t.Errorf("Parse(%q) = %v, want a GroupedError %q", c.in, err, c.want)
		}
	}
	for _, s := range []string{"5,00", "5,0000", "1234,000", "5,000'000", ",000", "5,", "5,00a", "x,000"} {
		_, err := Parse(s)
		var ge *GroupedError
		if errors.As(err, &ge) || err != ErrForm {
			t.Errorf("Parse(%q) = %v, want ErrForm", s, err)
		}
	}
}

// TestSat: SatAdd and SatMul give the exact result up to 2^64-1 and
// 2^64-1 past it, never a wrapped one.
func TestSat(t *testing.T) {
	const top = math.MaxUint64
	for _, c := range []struct {
		n    []uint64
		want uint64
	}{
		{nil, 0}, {[]uint64{7}, 7}, {[]uint64{1, 2, 3}, 6}, {[]uint64{top - 1, 1}, top},
		{[]uint64{top, 1}, top}, {[]uint64{top - 5, 3, 3}, top}, {[]uint64{top, top, 0}, top},
		{[]uint64{1 << 63, 1 << 63}, top}, {[]uint64{1 << 63, 1<<63 - 1}, top},
	} {
		if got := SatAdd(c.n...); got != c.want {
			t.Errorf("SatAdd(%v) = %d, want %d", c.n, got, c.want)
		}
	}
	for _, c := range [][3]uint64{
		{0, top, 0}, {top, 0, 0}, {1, top, top}, {2, 1 << 62, 1 << 63}, {2, 1 << 63, top},
		{1 << 32, 1 << 32, top}, {1<<32 - 1, 1<<32 + 1, top}, {3, top / 3, top}, {3, top/3 + 1, top},
	} {
		if got := SatMul(c[0], c[1]); got != c[2] {
			t.Errorf("SatMul(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

// TestNoun: the singular for 1 alone, for every count type.
func TestNoun(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Noun(1, "lane"), "1 lane"}, {Noun(0, "step"), "0 steps"}, {Noun(2, "core"), "2 cores"},
		{Noun(-1, "worker"), "-1 workers"}, {Noun(uint64(1), "shard"), "1 shard"},
		{Noun(uint64(math.MaxUint64), "lane"), "18446744073709551615 lanes"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestSI: the unit a value rounds to at each number of digits, up to E,
// which every uint64 count fits (2^64-1 is 18.4E: it was 1.84e+19, beside
// the suffixes of smaller counts), then Z, Y, R and Q, for lane-steps
// (bench's refusal wrote 1.22e+22 lane-steps), whole Q past them, never
// e notation, and "-" for what is not a number.
func TestSI(t *testing.T) {
	for _, c := range []struct {
		x      float64
		digits int
		want   string
	}{
		{0, 3, "0"}, {7, 3, "7"}, {999, 3, "999"}, {999.5, 3, "1k"}, {12.5, 3, "12.5"}, {2_250_000, 3, "2.25M"},
		{999.94e6, 4, "999.9M"}, {999.96e6, 4, "1G"}, {999.6e6, 4, "999.6M"}, {1.23456e9, 5, "1.2346G"},
		{999e12, 3, "999T"}, {999.5e12, 3, "1P"}, {2e15, 3, "2P"}, {999.5e15, 3, "1E"}, {18446744073709551615, 3, "18.4E"},
		{999.4e18, 3, "999E"}, {999.5e18, 3, "1Z"}, {1.5e22, 4, "15Z"}, {1.22e22, 3, "12.2Z"}, {999.7e21, 3, "1Y"},
		{18446744073709551615 * 4294967296.0, 3, "79.2R"}, {2e30, 3, "2Q"}, {999.4e30, 3, "999Q"}, {999.5e30, 3, "1000Q"},
		{1234.5e30, 3, "1230Q"}, {999.4e33, 4, "999400Q"},
		// From a million Q, m×10^n: it read "150000000Q".
		{1.5e38, 4, "1.5×10^38"},
		{math.NaN(), 3, "-"}, {math.Inf(1), 3, "-"},
	} {
		if got := SI(c.x, c.digits); got != c.want {
			t.Errorf("SI(%v, %d) = %q, want %q", c.x, c.digits, got, c.want)
		}
	}
}

// TestTime: a span of seconds in seconds, days or years, three digits,
// whole below a million and SI past a thousand years: it read "1.8e+04
// s", "9.64e+04 years" and "6.28e+11 years".
func TestTime(t *testing.T) {
	const day, year = 86400.0, 365.25 * 86400
	for _, c := range []struct {
		secs float64
		want string
	}{
		{0, "0 s"}, {0.000202, "0.000202 s"}, {1.5, "1.5 s"}, {999.7, "1000 s"}, {18000, "18000 s"}, {86356, "86356 s"},
		{day, "1 day"}, {107 * day, "107 days"}, {year, "1 year"}, {146.2 * year, "146 years"}, {1462 * year, "1.46k years"},
		{9.64e4 * year, "96.4k years"}, {6.28e11 * year, "628G years"}, {2e35 * year, "200000Q years"},
		{2e36 * year, "2×10^36 years"}, // it read "2000000Q years"
	} {
		if got := Time(c.secs); got != c.want {
			t.Errorf("Time(%v) = %q, want %q", c.secs, got, c.want)
		}
		if strings.Contains(Time(c.secs), "e+") {
			t.Errorf("Time(%v) = %q: e notation", c.secs, Time(c.secs))
		}
	}
}

func TestSig3(t *testing.T) {
	for x, want := range map[float64]string{1.4249: "1.42", 23.68: "23.7", 999.4: "999", 999.5: "1000", 67999.8: "68000",
		999999.4: "999999", 999999.5: "1M", -999999.7: "-1M", 1e6: "1M", 0.000123: "0.000123", -5079: "-5079", 0: "0",
		// Past a million and below 10^-4, where it wrote e notation
		// (1e+06, 1.84e+10 GB, 1e-09x, 1.23e-05).
		1.2345e7: "12.3M", 1.8446744073709552e10: "18.4G", -2.5e9: "-2.5G",
		1.234e-5: "0.0000123", 9.996e-5: "0.0001", 1e-9: "0.000000001", -1.5e-7: "-0.00000015", math.Inf(1): "+Inf"} {
		if got := Sig3(x); got != want {
			t.Errorf("Sig3(%v) = %q, want %q", x, got, want)
		}
	}
	for e := -12; e <= 300; e++ {
		for _, x := range []float64{math.Pow10(e), -1.23456 * math.Pow10(e), 9.996 * math.Pow10(e)} {
			if got := Sig3(x); strings.ContainsAny(got, "e") {
				t.Errorf("Sig3(%v) = %q, in e notation", x, got)
			}
		}
	}
}
