package outfile

import (
	"math"
	"strconv"
)

// AppendFloat32 appends to b the shortest decimal that reads back as x's
// bits both through a float32 parser (Go's ParseFloat(s, 32), C's strtof)
// and through a float64 parser followed by a rounding to float32, as
// numpy.loadtxt(dtype=float32) and pandas read CSV. strconv's shortest
// float32 decimal fails the second way for a few values: parsed as a
// float64 it rounds onto the midpoint between two float32s, which then
// rounds to the even neighbour (double rounding; 0x15ae43fd is
// 7.038531e-26, which reads back as 0x15ae43fe, and 7.0385307e-26 does
// not). Then it takes the shortest decimal of more digits that reads back
// both ways; nine significant digits always do (x rounded to nine digits
// is within 5e-9 relative of x, a midpoint at least 2^-25, 3e-8, away).
func AppendFloat32(b []byte, x float32) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	if readsBack(b[start:], x) {
		return b
	}
	for p := sigDigits(b[start:]); p <= 9; p++ {
		if c, ok := decimalOf(x, p); ok {
			return append(b[:start], c...)
		}
	}
	return strconv.AppendFloat(b[:start], float64(x), 'g', 9, 32) // not reached
}

// readsBack reports whether s parses to x both as a float32 and as a
// float64 rounded to float32 (NaN as any NaN).
func readsBack(s []byte, x float32) bool {
	f32, err := strconv.ParseFloat(string(s), 32)
	if err != nil {
		return false
	}
	f64, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return false
	}
	if x != x {
		return f32 != f32 && f64 != f64
	}
	return math.Float32bits(float32(f32)) == math.Float32bits(x) && math.Float32bits(float32(f64)) == math.Float32bits(x)
}

// sigDigits counts the significant digits of a decimal strconv wrote.
func sigDigits(s []byte) int {
	n, lead := 0, true
	for _, c := range s {
		switch {
		case c == 'e' || c == 'E':
			return n
		case c == '0' && lead:
		case c >= '0' && c <= '9':
			lead = false
			n++
		}
	}
	return n
}

// decimalOf returns a p-digit decimal that reads back as x both ways: x
// rounded to p digits, else one of its neighbours in the last digit.
func decimalOf(x float32, p int) ([]byte, bool) {
	e := strconv.AppendFloat(nil, float64(x), 'e', p-1, 32) // [-]d.ddde±XX
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	i := 0
	for e[i] != 'e' {
		i++
	}
	digits := make([]byte, 0, p)
	for _, c := range e[:i] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	m, _ := strconv.ParseInt(string(digits), 10, 64)
	exp, _ := strconv.Atoi(string(e[i+1:]))
	for _, d := range []int64{0, -1, 1} {
		s := strconv.FormatInt(m+d, 10) + "e" + strconv.Itoa(exp-(p-1))
		if neg {
			s = "-" + s
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			continue
		}
		// The same decimal as strconv writes it: v holds its p digits.
		c := strconv.AppendFloat(nil, v, 'g', p, 64)
		if sigDigits(c) <= p && readsBack(c, x) {
			return c, true
		}
	}
	return nil, false
}
