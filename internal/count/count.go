package count

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Forms is how a count may be written, for messages.
const Forms = "5000000, 5_000_000, 5e6, 2.5M, 2^28, 2^64-1 or 0x4c4b40"

// ErrForm says a string is not a count in any form; ErrOverflow that it is
// one but above 2^64-1; ErrFraction that it is a number but not whole;
// ErrNegative that it is a number below 0 ("is negative": the valid range
// that follows it may start at 0 or at 1).
var (
	ErrForm     = errors.New("want a whole number such as " + Forms)
	ErrOverflow = errors.New("is too large for 64 bits")
	ErrFraction = errors.New("is not a whole number")
	ErrNegative = errors.New("is negative")
)

// GroupedError is ErrForm (errors.Is) for a whole number written in groups
// of three digits with a thousands separator, which no form reads (5,000,
// 1'000'000, 5 000, 5.000.000): it says how to write the number instead.
// The error read "want a whole number such as ..." as for any typo.
type GroupedError struct {
	Digits string // the number's digits, 5000
}

func (e *GroupedError) Error() string {
	ways := []string{e.Digits}
	if n, err := strconv.ParseUint(e.Digits, 10, 64); err == nil && n != 0 {
		for _, u := range []struct {
			suffix string
			scale  uint64
		}{{"E", 1e18}, {"P", 1e15}, {"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"k", 1e3}} {
			if n%u.scale == 0 {
				ways = append(ways, strconv.FormatUint(n/u.scale, 10)+u.suffix)
				break
			}
		}
	}
	if len(ways) == 1 {
		return "thousands separators are not read: write " + ways[0]
	}
	return "thousands separators are not read: write " + ways[0] + " or " + ways[1]
}

// Is makes a GroupedError ErrForm.
func (e *GroupedError) Is(target error) bool { return target == ErrForm }

// ScalesError is ErrForm (errors.Is) for a count written with an exponent
// and a suffix together (1e2k), which no form reads: it says so, where the
// error read "want a whole number such as ..." and listed both forms.
type ScalesError struct{}

func (e *ScalesError) Error() string {
	return "an exponent and a suffix together are not read: write the count with one of them (5e6 or 5M)"
}

// Is makes a ScalesError ErrForm.
func (e *ScalesError) Is(target error) bool { return target == ErrForm }

// SuffixCaseError is ErrForm (errors.Is) for a count ending in m, g or t,
// which reads as a count with M, G or T (5m): the suffixes are k or K, M,
// G and T, and a lower-case m is not read as a million (it could mean
// milli). The error read "want a whole number such as ..." as for any
// typo.
type SuffixCaseError struct {
	Typed byte   // the suffix as typed: m
	Count string // the count with the suffix that is read: 5M
}

func (e *SuffixCaseError) Error() string {
	up := e.Typed - 'a' + 'A'
	return fmt.Sprintf("%c is the %s suffix, %c is not read: write %s", up, suffixNames[up], e.Typed, e.Count)
}

// Is makes a SuffixCaseError ErrForm.
func (e *SuffixCaseError) Is(target error) bool { return target == ErrForm }

// suffixNames name the suffixes a SuffixCaseError names.
var suffixNames = map[byte]string{'M': "million", 'G': "billion", 'T': "trillion"}

// DigitsError is ErrForm (errors.Is) for a number written with decimal
// digits of another script than ASCII's (fullwidth ５, as an input method
// may type it; Arabic-Indic ٣): it says how to write it, where the error
// read "want a whole number such as 5000000, ..." as for any typo.
type DigitsError struct {
	ASCII string // the number with ASCII digits: 5
}

func (e *DigitsError) Error() string {
	return "digits other than ASCII 0-9 are not read: write " + e.ASCII
}

// Is makes a DigitsError ErrForm.
func (e *DigitsError) Is(target error) bool { return target == ErrForm }

// MinusError is ErrForm (errors.Is) for a number written with a minus
// sign other than ASCII's hyphen-minus (minusSigns: −5 with U+2212, as a
// document typesets it, or the en dash –, as a word processor makes of -):
// it names the sign and says how to write the number, where the error read
// "want a number such as 75 or -3.5" as for any typo, while ５ got
// DigitsError's advice.
type MinusError struct {
	Sign  rune   // the first sign as typed: −
	ASCII string // the number with ASCII's - (and digits): -5
}

func (e *MinusError) Error() string {
	return fmt.Sprintf("%c (U+%04X) is not read as a minus sign: write %s with the ASCII hyphen-minus -", e.Sign, e.Sign, e.ASCII)
}

// Is makes a MinusError ErrForm.
func (e *MinusError) Is(target error) bool { return target == ErrForm }

// minusSigns are the signs typed or pasted for a minus that no form reads:
// the minus sign U+2212, the hyphen U+2010 and non-breaking hyphen U+2011,
// the figure, en and em dashes U+2012 to U+2014, and the small and
// fullwidth hyphen-minus U+FE63 and U+FF0D.
const minusSigns = "\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"

// ASCIIMinus is s with each sign of minusSigns made ASCII's -, and the
// first such sign, 0 where s has none.
func ASCIIMinus(s string) (string, rune) {
	var first rune
	out := strings.Map(func(r rune) rune {
		if strings.ContainsRune(minusSigns, r) {
			if first == 0 {
				first = r
			}
			return '-'
		}
		return r
	}, s)
	return out, first
}

// ASCIIDigits is s with each decimal digit of another script (unicode.Nd:
// ５, ٣) made the ASCII digit of its value, and whether s had one; the
// fullwidth letters and signs an input method types with them (Ｅ, ＋,
// －, ．) are made ASCII too.
func ASCIIDigits(s string) (string, bool) {
	found := false
	out := strings.Map(func(r rune) rune {
		switch {
		case r < utf8.RuneSelf:
			return r
		case unicode.IsDigit(r):
			found = true
			// A script's digits run 0 to 9 (some, as the
			// mathematical ones, in several sets of ten in a
			// row): count back to the first, a zero.
			zero := r
			for unicode.IsDigit(zero-1) && r-(zero-1) <= 9 {
				zero--
			}
			return '0' + (r-zero)%10
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFF01 + '!' // fullwidth ASCII
		}
		return r
	}, s)
	return out, found
}

// Grouped returns the digits of s where s is a whole number in groups of
// three digits, each group after the first led by one separator, the same
// each time: a comma, an apostrophe (' or ’), a space (a no-break or narrow
// one too), or a dot; else "".
func Grouped(s string) string {
	s = strings.TrimPrefix(s, "+")
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 1 || i > 3 {
		return ""
	}
	sep, _ := utf8.DecodeRuneInString(s[i:])
	if !strings.ContainsRune(",'’ \u00a0\u202f.", sep) {
		return ""
	}
	groups := strings.Split(s, string(sep))
	for _, g := range groups[1:] {
		if len(g) != 3 || !isDigits(g, false) {
			return ""
		}
	}
	return strings.Join(groups, "")
}

// suffixes are the decimal (SI) multipliers a count may end with: those SI
// writes, up to E, so that a count it writes reads back (18.4E, the bar's
// and bench's 2^64-1). E ends a count only: 5E6 is 5e6.
var suffixes = map[byte]int{'k': 3, 'K': 3, 'M': 6, 'G': 9, 'T': 12, 'P': 15, 'E': 18}

// Parse reads a count. The forms, all exact (no floating point):
//
//	5000000  5_000_000  010       decimal; a leading zero is not octal (010 is 10)
//	5e6  2.5e6  10.0  1E3         e-notation and decimals that are whole numbers
//	5M  2.5M  500k  1G  2T        k/K = 1e3, M = 1e6, G = 1e9, T = 1e12
//	                              (not after an exponent: 1e2k is ErrForm)
//	2^28  2^64-1  2^32+1  10^6    the power form (Power) that is a whole number
//	0x4c4b40  0xdead_beef  0XFF   hexadecimal (as a seed is often written)
//
// Any form may take a leading + (+5 is 5, as a float flag reads it); a
// leading - is ErrNegative unless the number is zero (-0 is 0). The power
// form is what gpusim's help writes for the ends of ranges (1..2^64-1), so
// that each end can be typed as written.
//
// A value led by - that a form error would advise rewriting (-0m: write
// -0M; -１: write -1; -1e2k; -0,000) is ErrNegative, with no advice: the
// advice named a negative value, or one with a sign no count needs.
//
// Errors are ErrForm, ErrOverflow, ErrFraction or ErrNegative.
func Parse(s string) (uint64, error) {
	n, err := parse(s)
	if err != nil && err != ErrForm && errors.Is(err, ErrForm) {
		a, _ := ASCIIMinus(s)
		if a, _ := ASCIIDigits(a); strings.HasPrefix(a, "-") {
			return 0, ErrNegative // −5, as -５
		}
	}
	return n, err
}

// parse is Parse but for its advice on a value led by -.
func parse(s string) (uint64, error) {
	if a, sign := ASCIIMinus(s); sign != 0 {
		// 2^64−1 as a document writes it: which sign, and the count
		// with ASCII's (it read "want a whole number such as ...").
		a, _ = ASCIIDigits(a)
		if _, err := Parse(a); !errors.Is(err, ErrForm) {
			return 0, &MinusError{Sign: sign, ASCII: a}
		}
		return 0, ErrForm
	}
	if a, ok := ASCIIDigits(s); ok {
		// ５ or ٣: digits no form reads, which it names.
		var ge *GroupedError
		if _, err := Parse(a); !errors.Is(err, ErrForm) {
			return 0, &DigitsError{ASCII: a}
		} else if errors.As(err, &ge) {
			return 0, err // ５,０００: write 5000 or 5k
		}
		return 0, ErrForm
	}
	if r, ok, err := Power(s); ok {
		switch {
		case err != nil:
			return 0, err
		case r.Sign() < 0:
			return 0, ErrNegative
		case !r.IsInt():
			return 0, ErrFraction
		case !r.Num().IsUint64():
			return 0, ErrOverflow
		}
		return r.Num().Uint64(), nil
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	n, err := unsigned(s)
	if neg && !errors.Is(err, ErrForm) && (err != nil || n != 0) {
		return 0, ErrNegative
	}
	if err == ErrForm {
		if d := Grouped(s); d != "" {
			if neg && strings.Trim(d, "0") != "" {
				// -1,000 is negative whatever its separators: the
				// advice to write 1000 dropped the sign.
				return 0, ErrNegative
			}
			return 0, &GroupedError{Digits: d}
		}
		if last := len(s) - 1; last > 0 && suffixNames[s[last]-'a'+'A'] != "" {
			// 5m: M, read as a million, in the wrong case.
			up := s[:last] + string(s[last]-'a'+'A')
			if m, err := unsigned(up); err == nil && neg && m != 0 {
				return 0, ErrNegative
			} else if err == nil || errors.Is(err, ErrOverflow) {
				if neg {
					up = "-" + up
				}
				return 0, &SuffixCaseError{Typed: s[last], Count: up}
			}
		}
	}
	return n, err
}

// unsigned is Parse without a sign, for the forms other than the power.
func unsigned(s string) (uint64, error) {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		return 0, ErrForm // a second sign
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return hex(s[2:])
	}
	shift := 0
	if n := len(s); n > 0 {
		if k, ok := suffixes[s[n-1]]; ok {
			shift, s = k, s[:n-1]
		}
	}
	mant, exp, hasExp := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp, hasExp = s[:i], s[i+1:], true
	}
	if hasExp && shift != 0 {
		// 1e2k: two scales in one count, which no form writes (it
		// read as 100000, a likely typo taken for a job 1000 times
		// another).
		return 0, &ScalesError{}
	}
	whole, frac, hasDot := strings.Cut(mant, ".")
	if whole == "" && frac == "" || !isDigits(whole, true) || !isDigits(frac, false) || hasDot && frac == "" && whole == "" {
		return 0, ErrForm
	}
	e10 := int64(shift)
	if hasExp {
		exp = strings.TrimPrefix(exp, "+")
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimPrefix(exp, "-")
		if exp == "" || !isDigits(exp, false) {
			return 0, ErrForm
		}
		if len(exp) > 6 {
			// Past any count's exponent: 0 for a mantissa of zeros
			// (0e9999999 read as too large), else too large or not
			// whole.
			switch {
			case strings.Trim(strings.ReplaceAll(whole, "_", "")+frac, "0") == "":
				return 0, nil
			case neg:
				return 0, ErrFraction
			}
			return 0, ErrOverflow
		}
		x, _ := strconv.ParseInt(exp, 10, 64)
		if neg {
			x = -x
		}
		e10 += x
	}
	ds := strings.TrimLeft(strings.ReplaceAll(whole, "_", "")+frac, "0")
	e10 -= int64(len(frac))
	trimmed := strings.TrimRight(ds, "0")
	e10 += int64(len(ds) - len(trimmed))
	ds = trimmed
	switch {
	case ds == "":
		return 0, nil
	case e10 < 0:
		return 0, ErrFraction
	case int64(len(ds))+e10 > 20:
		return 0, ErrOverflow
	}
	n, err := strconv.ParseUint(ds, 10, 64)
	if err != nil {
		return 0, ErrOverflow
	}
	p, err := pow(10, uint64(e10))
	if err != nil {
		return 0, err
	}
	hi, lo := bits.Mul64(n, p)
	if hi != 0 {
		return 0, ErrOverflow
	}
	return lo, nil
}

// isDigits reports whether s is decimal digits, with single underscores
// between digits when underscores is set; "" counts as digits.
func isDigits(s string, underscores bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '_' && underscores && i > 0 && i < len(s)-1 && s[i-1] != '_':
		default:
			return false
		}
	}
	return true
}

// hex parses hexadecimal digits, with single underscores between digits.
func hex(s string) (uint64, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == '_' && i > 0 && i < len(s)-1 && s[i-1] != '_':
		default:
			return 0, ErrForm
		}
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 16, 64)
	if err != nil {
		return 0, ErrOverflow
	}
	return n, nil
}

// pow is b^e, or ErrOverflow above 2^64-1.
func pow(b, e uint64) (uint64, error) {
	r := uint64(1)
	for ; e > 0; e-- {
		hi, lo := bits.Mul64(r, b)
		if hi != 0 {
			return 0, ErrOverflow
		}
		r = lo
		if r <= 1 { // 0 or 1 to any further power
			return r, nil
		}
	}
	return r, nil
}

// Power reads the power form, exactly: s is
//
//	[+-]B^[+-]E[(+|-)K]     B, E and K decimal (underscores between digits)
//
// the value sign B^E, plus or minus K: 2^64-1 is 18446744073709551615,
// -2^126 is -(2^126), 2^-24 is 1/16777216, -2^3+1 is -7, and 0^0 is 1. ok
// says whether s has the power form's ^ at all; then err is ErrForm for a
// malformed one (or 0 to a negative power), and ErrOverflow where the
// power B^E is beyond 2^1100 in magnitude, past any count or float64. A power
// below 2^-1100 in magnitude, too small to round any sum differently from
// a positive number of that size, is taken as 2^-1100. Both the count
// flags (through Parse) and the float flags of gpusim read it.
func Power(s string) (r *big.Rat, ok bool, err error) {
	if !strings.Contains(s, "^") {
		return nil, false, nil
	}
	neg := strings.HasPrefix(s, "-")
	b, rest, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+"), "^")
	e, k, op := rest, "0", byte('+')
	if i := strings.IndexAny(rest[min(1, len(rest)):], "+-"); i >= 0 {
		i++ // past the exponent's own sign
		e, k, op = rest[:i], rest[i+1:], rest[i]
	}
	negExp := strings.HasPrefix(e, "-")
	if negExp || strings.HasPrefix(e, "+") {
		e = e[1:]
	}
	var base, exp, term big.Int
	for _, f := range []struct {
		s string
		n *big.Int
	}{{b, &base}, {e, &exp}, {k, &term}} {
		if f.s == "" || !isDigits(f.s, true) {
			return nil, true, ErrForm
		}
		f.n.SetString(strings.ReplaceAll(f.s, "_", ""), 10)
	}
	p := new(big.Rat)
	switch {
	case base.Sign() == 0 && exp.Sign() == 0, base.Cmp(big.NewInt(1)) == 0:
		p.SetInt64(1)
	case base.Sign() == 0 && negExp:
		return nil, true, ErrForm // 1/0
	case base.Sign() == 0:
		p.SetInt64(0)
	case exp.BitLen() > 32 || (int64(base.BitLen())-1)*exp.Int64() > powerBits:
		// |B^E| >= 2^((bits of B - 1) E): not computed, as it may be huge.
		if !negExp {
			return nil, true, ErrOverflow
		}
		p.SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), powerBits))
	default:
		p.SetInt(new(big.Int).Exp(&base, &exp, nil))
		if negExp {
			p.Inv(p)
		}
	}
	if neg {
		p.Neg(p)
	}
	if op == '-' {
		term.Neg(&term)
	}
	return p.Add(p, new(big.Rat).SetInt(&term)), true, nil
}

// powerBits bounds the powers Power computes, 2^powerBits in magnitude:
// past float64's largest (2^1024) and under its least subnormal (2^-1074)
// with room.
const powerBits = 1100

// RangeError is a count outside its flag's range: below Min or above Max
// (N), negative, or past 2^64-1 (Text, the value as typed). Every such
// count reads "X is out of range (valid range lo..hi)", a negative one "X
// is negative (valid range lo..hi)": --lanes 0 read "0 is out of range"
// where --lanes -1 read "is negative" and --workers 99999999999999999999
// "is too large for 64 bits", without the number or a word of its range.
type RangeError struct {
	N, Min, Max uint64 // the count read, and the range [Min, Max] it is outside
	// Text is the value as typed where it is no count N: negative
	// (ErrNegative) or past 2^64-1 (ErrOverflow).
	Text string
	// Err is ErrNegative or ErrOverflow for such a Text, else nil.
	Err error
	// Valid, where set, is the range as the error writes it, in place
	// of Min..Max: a flag whose range is checked later, in context
	// ("1..1000000, and at most --lanes").
	Valid string
}

func (e *RangeError) Error() string {
	subject, what, valid := strconv.FormatUint(e.N, 10), "is out of range", e.Valid
	if e.Text != "" {
		subject = e.Text
	}
	if e.Err == ErrNegative {
		what = "is negative"
	}
	if valid == "" {
		valid = Range(e.Min, e.Max)
	}
	return fmt.Sprintf("%s %s (valid range %s)", subject, what, valid)
}

// Unwrap is Err: a negative count is ErrNegative, one past 2^64-1
// ErrOverflow (errors.Is).
func (e *RangeError) Unwrap() error { return e.Err }

// Range is "lo..hi" as gpusim's help and errors write a count's range, the
// largest count as 2^64-1 (a form Parse reads), where its twenty digits
// are hard to read: the errors wrote 1..18446744073709551615 where the
// help wrote 1..2^64-1.
func Range(lo, hi uint64) string {
	h := strconv.FormatUint(hi, 10)
	if hi == math.MaxUint64 {
		h = "2^64-1"
	}
	return strconv.FormatUint(lo, 10) + ".." + h
}

// ParseIn reads a count within [lo, hi]. Errors name the range: a
// *RangeError for a count outside it, a negative one or one past 2^64-1,
// or the form error with the range appended.
func ParseIn(s string, lo, hi uint64) (uint64, error) {
	n, err := Parse(s)
	if errors.Is(err, ErrNegative) || errors.Is(err, ErrOverflow) {
		return 0, &RangeError{Min: lo, Max: hi, Text: s, Err: err}
	}
	if errors.Is(err, ErrFraction) { // led by the value, as -1's and 2^64's
		return 0, fmt.Errorf("%s %w (valid range %s)", s, err, Range(lo, hi))
	}
	if err != nil {
		return 0, fmt.Errorf("%w (valid range %s)", err, Range(lo, hi))
	}
	if n < lo || n > hi {
		return 0, &RangeError{N: n, Min: lo, Max: hi}
	}
	return n, nil
}

// ParseList reads a comma-separated list of counts, each within [lo, hi];
// spaces around the commas are allowed. A malformed entry's error quotes
// it; a list of one entry is quoted as given (" ", not the "" it trims
// to), and an empty entry among several is named by its place ("1,,2":
// entry 2 is empty).
func ParseList(s string, lo, hi uint64) ([]uint64, error) {
	var out []uint64
	several := strings.Contains(s, ",")
	i := 0
	for f := range strings.SplitSeq(s, ",") {
		i++
		e := strings.TrimSpace(f)
		n, err := ParseIn(e, lo, hi)
		var re *RangeError
		switch {
		case errors.As(err, &re):
			return nil, err // it names the number
		case err != nil && !several:
			return nil, fmt.Errorf("invalid value %q: %w", s, err)
		case err != nil && e == "":
			return nil, fmt.Errorf("invalid value %q: entry %d of %d is empty: %w", s, i, strings.Count(s, ",")+1, err)
		case err != nil:
			return nil, fmt.Errorf("invalid value %q: %w", e, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// Noun is n with its noun, in the singular for 1 and with an s added
// otherwise: "1 lane", "0 steps", "5000000 lanes", "2 goroutines". The one
// way gpusim's messages and reports count a thing ("1 workers ran" was
// one of the ways that got it wrong).
func Noun[T ~int | ~uint64](n T, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Sig3 writes x to three significant digits without e notation: whole
// from 999.5 to below a million (67999.8 is 68000, where e notation read
// 6.8e+04), with SI's prefixes from where it rounds to a million (12.3M,
// 1G, 18.4G: it read 1.2e+07, 1e+09x and 1.84e+10 GB; 999999.5 is 1M,
// where it read 1000000; whole Q from a thousand Q, 1230Q, as SI writes
// them), and in decimals below 10^-4 (0.0000123, where it
// read 1.23e-05) down to where it rounds to 10^-9 (0.000000001): 1.42,
// 23.7, 0.000123, 1.2M. Past both, below Tiny and from SIHuge (a million
// Q), it is a power of ten, m×10^n (1.23×10^-12, 4.94×10^-324, 1.8×10^308):
// 1e-300 read as 300 decimals and 1e300 as 271 digits of Q. So it is at
// most 14 characters (-0.00000000229), and reads back to three
// significant digits. NaN and ±Inf are "NaN", "+Inf" and
// "-Inf". It is the one writing of a time per lane-step, a speedup and a
// size in GB: bench's tables and run's time line, notes and errors.
func Sig3(x float64) string {
	a := math.Abs(x)
	sign := ""
	if x < 0 {
		sign = "-"
	}
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return strconv.FormatFloat(x, 'g', 3, 64)
	case a >= 999.5 && a < 999999.5:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 999999.5:
		return sign + SI(a, 3)
	case a > 0 && a < 1e-4:
		return sign + decimals(a, 3)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// Tiny is the least magnitude, as rounded to its digits, that Sig3 and SI
// write in decimals (0.000000001, 11 characters); below it they write
// m×10^n, as 10^-300 in decimals took 302 characters.
const Tiny = 1e-9

// SIHuge is where SI's whole Q ends, a million Q (999000Q, 7 characters),
// from which it writes m×10^n (1.23×10^36): a float64's largest in whole
// Q took 279 digits.
const SIHuge = 1e36

// decimals writes a, in (0, 1), to digits significant digits in
// decimals, or as m×10^n (Pow10) where it rounds below Tiny. It is
// rounded to its digits first, for its exponent: 9.996e-5 is 0.0001,
// 1.234e-5 0.0000123.
func decimals(a float64, digits int) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(a, 'e', digits-1, 64), 64)
	if r < Tiny {
		return Pow10(a, digits)
	}
	s := strconv.FormatFloat(r, 'f', digits-1-int(math.Floor(math.Log10(r))), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Pow10 writes a positive finite a as m×10^n, m to digits significant
// digits (trailing zeros dropped) from 1 to below 10: 1.23×10^36,
// 1×10^-12, 4.94×10^-324. It is how Sig3 and SI write what is past their
// decimals and prefixes, without e notation and in at most digits+9
// characters (× is one, U+00D7).
func Pow10(a float64, digits int) string {
	e := strconv.FormatFloat(a, 'e', digits-1, 64) // 1.23e+36, rounded
	i := strings.IndexByte(e, 'e')
	m, n := e[:i], e[i+1:]
	if strings.Contains(m, ".") {
		m = strings.TrimRight(strings.TrimRight(m, "0"), ".")
	}
	exp, _ := strconv.Atoi(n)
	return m + "×10^" + strconv.Itoa(exp)
}

// SI writes a non-negative count or rate x to digits significant digits
// (3 or more) with an SI prefix from a thousand on, every one of them: k,
// M, G, T, P, E, Z, Y, R and Q: 950, 2.25M, 96.1M, 1.2G, 18.4E (2^64-1),
// 12.2Z, 79.2R (2^64-1 lanes x 2^32 steps). A value that rounds to a
// thousand of its unit is written in the next (999.7M is 1G, where it read
// "1e+03M"), and from a thousand Q on (SIBig), past the prefixes, in whole
// Q below a million Q (1230Q), and as m×10^n from there (SIHuge: 1.23×10^36,
// where the largest float64 took 279 digits). Below 1 it is in decimals
// (0.25, 0.0000123, where 1e-05 was in e notation) down to Tiny, and m×10^n
// below; a negative x is its magnitude's writing after a minus sign. It
// is at most digits+11 characters (-0.00000000229 at 3). NaN and ±Inf
// are "-". The progress bar's counts and rates,
// bench's rates, workloads, crossovers and chart ticks, and every count of
// lane-steps a message writes are written with it: a count past a
// thousand T was in e notation beside the suffixes of the others ("374M/1e+18
// lanes"), and bench's refusal of a benchmark of years wrote "(1.22e+22
// lane-steps: ...)".
func SI(x float64, digits int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	if x < 0 {
		return "-" + SI(-x, digits)
	}
	// From up of a unit on, x rounds to digits digits as one of it or more.
	up := 1 - 0.5/math.Pow10(digits)
	switch {
	case x >= SIHuge*up:
		return Pow10(x, digits)
	case x >= SIBig*up:
		// Whole Q to digits significant digits: 1234.5Q is 1230Q.
		q, _ := strconv.ParseFloat(strconv.FormatFloat(x/1e30, 'e', digits-1, 64), 64)
		return strconv.FormatFloat(q, 'f', 0, 64) + "Q"
	case x > 0 && x < up:
		return decimals(x, digits)
	}
	return siUnits(x, digits, up)
}

// siUnits is SI of x from 1 to below a thousand Q: in the largest unit in
// which x rounds to 1 or more.
func siUnits(x float64, digits int, up float64) string {
	// A bound of up times the unit alone is off by a rounding of x/unit
	// at its edge (999.5e21 read "0.999Y", 999.5e24 "1e+03Y").
	units := []struct {
		s string
		v float64
	}{{"Q", 1e30}, {"R", 1e27}, {"Y", 1e24}, {"Z", 1e21}, {"E", 1e18}, {"P", 1e15}, {"T", 1e12}, {"G", 1e9}, {"M", 1e6}, {"k", 1e3}, {"", 1}}
	for i, u := range units {
		if x < u.v*up*0.999 && u.v > 1 {
			continue
		}
		m := strconv.FormatFloat(x/u.v, 'g', digits, 64)
		r, _ := strconv.ParseFloat(m, 64)
		switch {
		case r < 1 && u.v > 1:
			continue
		case r >= 1000 && i == 0:
			return "1000Q"
		case r >= 1000:
			return "1" + units[i-1].s
		}
		return m + u.s
	}
	return strconv.FormatFloat(x, 'g', digits, 64)
}

// Seconds writes a span of s seconds to three significant digits (Sig3)
// in the largest of s, ms, µs and ns of which it is at least one once
// rounded: 1.92 ms, 352 µs, 3.21 s, 895 ms; from 999.5 s on as Time
// writes a long span (1470 s, 107 days, 583 years: a merge's sum past
// what a time.Duration holds), whole nanoseconds from 1 ns to a
// microsecond, Sig3's decimals below a nanosecond (0.0033 ns). Not
// positive (0, NaN) it is "0 s". It is the one writing of a time in gpusim's text: run's time
// and start-up lines, merge's, bench's tables; run wrote "1.9 ms wall"
// (%.1f ms) where bench wrote the same run's 1.92 ms.
func Seconds(s float64) string {
	const up = 1 - 0.5e-3 // from here on a value rounds to 3 digits as 1 or more
	switch {
	case !(s > 0):
		return "0 s"
	case s >= 1000*up: // 1470 s, 107 days, not 1.47e+03 s
		return Time(s)
	case s >= up:
		return Sig3(s) + " s"
	case s >= 1e-3*up:
		return Sig3(s*1e3) + " ms"
	case s >= 1e-6*up:
		return Sig3(s*1e6) + " " + Micro
	case s >= 1e-9*up:
		return fmt.Sprintf("%.0f ns", s*1e9)
	}
	return Sig3(s*1e9) + " ns"
}

// Micro is the one writing of the microsecond in what gpusim writes for
// people: µs, with U+00B5 MICRO SIGN, as Go's time.Duration writes it
// (150µs) and bench's tables did; run's time line and auto's notes wrote
// "us". gpusim writes UTF-8 whatever the locale (LANG and LC_ALL are not
// read), as it does a device's name; the duration flags read us, µs and μs.
const Micro = "µs"

// SIBig is where SI runs out of prefixes, rounded to its digits: a
// thousand of its largest (Q), from which it writes whole Q.
const SIBig = 1e33

// Time writes secs seconds for people, to three significant digits, in
// the one notation of the counts beside it: seconds below a day (whole
// from a thousand: 18000 s, where %.3g wrote 1.8e+04 s), days below a
// year (107 days), and years from one on, in SI past a thousand (146
// years, 96.4k years, 628G years: a job of 2^64-1 lanes x 2^32 steps).
// Its errors and notes of a job's or a benchmark's time, and auto's
// predictions, are written with it.
func Time(secs float64) string {
	const day, year = 86400.0, 365.25 * 86400
	unit := func(n, noun string) string {
		if n == "1" {
			return "1 " + noun
		}
		return n + " " + noun + "s"
	}
	// Each unit from where secs rounds to one of it: at the edge a bound
	// alone read "0.999 years".
	if secs >= year*(1-0.6e-3) {
		if n := SI(secs/year, 3); !strings.HasPrefix(n, "0.") {
			return unit(n, "year")
		}
	}
	if secs >= day*(1-0.6e-3) {
		if n := Sig3(secs / day); !strings.HasPrefix(n, "0.") {
			return unit(n, "day")
		}
	}
	return Sig3(secs) + " s"
}

// Nanos writes a time of ns nanoseconds, a time per lane-step (run's
// time line, auto's notes): in ns below a microsecond (1.42 ns, 0.00025 ns), else in the
// largest of µs, ms and s that leaves a figure of at least 1, three
// significant digits (Sig3): 68 µs, 1.72 ms, 2.5 s. A slow shard's
// millisecond read "1.72M ns".
func Nanos(ns float64) string {
	for _, u := range []struct {
		name string
		ns   float64
	}{{"s", 1e9}, {"ms", 1e6}, {Micro, 1e3}} {
		// 999.5 ns and up round to 1000 at three digits: a µs.
		if ns >= u.ns*0.9995 {
			return Sig3(ns/u.ns) + " " + u.name
		}
	}
	return Sig3(ns) + " ns"
}
