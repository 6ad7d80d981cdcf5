package count

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Forms is how a count may be written, for messages.
const Forms = "5000000, 5_000_000, 5e6, 2.5M, 2^28 or 0x4c4b40"

// ErrForm says a string is not a count in any form; ErrOverflow that it is
// one but above 2^64-1; ErrFraction that it is a number but not whole.
var (
	ErrForm     = errors.New("want a whole number such as " + Forms)
	ErrOverflow = errors.New("is too large for 64 bits")
	ErrFraction = errors.New("is not a whole number")
)

// suffixes are the decimal (SI) multipliers a count may end with.
var suffixes = map[byte]int{'k': 3, 'K': 3, 'M': 6, 'G': 9, 'T': 12}

// Parse reads a count. The forms, all exact (no floating point):
//
//	5000000  5_000_000  010       decimal; a leading zero is not octal (010 is 10)
//	5e6  2.5e6  10.0  1E3         e-notation and decimals that are whole numbers
//	5M  2.5M  500k  1G  2T        k/K = 1e3, M = 1e6, G = 1e9, T = 1e12
//	2^28                          a power, base and exponent decimal
//	0x4c4b40  0xdead_beef  0XFF   hexadecimal (as a seed is often written)
//
// Errors are ErrForm, ErrOverflow or ErrFraction.
func Parse(s string) (uint64, error) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return hex(s[2:])
	}
	if b, e, ok := strings.Cut(s, "^"); ok {
		base, err := digits(b)
		if err != nil {
			return 0, err
		}
		exp, err := digits(e)
		if err != nil {
			return 0, err
		}
		return pow(base, exp)
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

// digits parses a plain decimal (underscores allowed) for the power form.
func digits(s string) (uint64, error) {
	if s == "" || !isDigits(s, true) {
		return 0, ErrForm
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 10, 64)
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

// RangeError is a count outside its flag's range.
type RangeError struct {
	N, Min, Max uint64
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("%d is out of range (valid range %d..%d)", e.N, e.Min, e.Max)
}

// ParseIn reads a count within [lo, hi]. Errors name the range: a
// *RangeError, or the form error with the range appended.
func ParseIn(s string, lo, hi uint64) (uint64, error) {
	n, err := Parse(s)
	if err != nil {
		return 0, fmt.Errorf("%w (valid range %d..%d)", err, lo, hi)
	}
	if n < lo || n > hi {
		return 0, &RangeError{n, lo, hi}
	}
	return n, nil
}

// ParseList reads a comma-separated list of counts, each within [lo, hi];
// spaces around the commas are allowed.
func ParseList(s string, lo, hi uint64) ([]uint64, error) {
	var out []uint64
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		n, err := ParseIn(f, lo, hi)
		var re *RangeError
		if errors.As(err, &re) {
			return nil, err // it names the number
		} else if err != nil {
			return nil, fmt.Errorf("invalid value %q: %w", f, err)
		}
		out = append(out, n)
	}
	return out, nil
}
