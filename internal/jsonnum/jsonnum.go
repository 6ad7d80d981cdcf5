package jsonnum

import (
	"bytes"
	"math"
	"strconv"
	"time"
)

// NegZero is a float's negative zero as gpusim writes it in JSON.
// encoding/json writes -0, which Python's json reads as the int 0, losing
// the sign (and the type: every other value of the field is a float);
// -0.0 is a float -0 in Python, and -0 in Go, JavaScript and jq, so every
// reader of -0 reads it as before.
const NegZero = "-0.0"

// NegZeroAt reports whether the JSON text b holds the number -0 at i: a
// minus, a zero, and neither a point, an exponent nor another digit after
// them. i must lie outside any string.
func NegZeroAt(b []byte, i int) bool {
	if i+1 >= len(b) || b[i] != '-' || b[i+1] != '0' {
		return false
	}
	if i+2 == len(b) {
		return true
	}
	switch b[i+2] {
	case '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return false
	}
	return true
}

// Fix returns the JSON text b with every number -0 written NegZero, and
// the strings as they were; b itself where it has no -0. encoding/json
// writes a float64 or float32 -0 as -0 in every field, so a document
// passes through Fix rather than giving each float field a type of its
// own.
func Fix(b []byte) []byte {
	if !bytes.Contains(b, []byte("-0")) {
		return b
	}
	var out []byte
	last := 0 // b[last:] is not yet in out
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '-':
			if NegZeroAt(b, i) {
				out = append(append(out, b[last:i]...), NegZero...)
				last = i + 2
				i++
			}
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// Seconds is d in seconds as gpusim's JSON writes a duration: float64(d)
// / 1e9, the float64 nearest d's exact count of seconds (the division is
// correctly rounded, and d is exact in a float64 below 2^53 ns, 104 days),
// which encoding/json's shortest form writes with at most 9 decimals.
// time.Duration.Seconds adds whole seconds and nanoseconds / 1e9, two
// roundings, and 1.26494772 s read 1.2649477199999999 (about one duration
// in 12 of those below 3 s had such a tail).
func Seconds(d time.Duration) float64 { return float64(d) / 1e9 }

// Text is x as gpusim's JSON writes it: encoding/json's shortest form
// that reads back as x (100000000, 0.00001, 1e+300, 1e-7), a negative
// zero NegZero, and NaN and ±Inf, which no JSON holds, as "NaN", "+Inf"
// and "-Inf". It is how an error or note echoes a number it read from a
// machine file (a part, auto's calibration, a Python baseline's result)
// and the bounds it is checked against, so that the message shows the
// text the file holds, to every digit, where %g wrote 1e+08 for a file's
// 100000000 and 3.2e+07 for a bound.
func Text(x float64) string { return text(x, 64) }

// Text32 is Text of a float32 field: the shortest decimal that reads back
// as x in float32 (53.6463), in encoding/json's forms. A part writes such
// a field (min, max, a histogram's lo and scale) as the float64 of x,
// 53.64630126953125, and a hand-edited one may hold any decimal; the
// message says the float32 that gpusim read.
func Text32(x float32) string { return text(float64(x), 32) }

// text is Text of x, rounded to bits (32 or 64).
func text(x float64, bits int) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return strconv.FormatFloat(x, 'g', -1, 64)
	case x == 0 && math.Signbit(x):
		return NegZero
	}
	// encoding/json's choice of form and its exponent without a leading
	// zero (1e-07 is 1e-7).
	form := byte('f')
	if a := math.Abs(x); a != 0 && (bits == 64 && (a < 1e-6 || a >= 1e21) || bits == 32 && (float32(a) < 1e-6 || float32(a) >= 1e21)) {
		form = 'e'
	}
	s := strconv.FormatFloat(x, form, -1, bits)
	if n := len(s); form == 'e' && n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
		s = s[:n-2] + s[n-1:]
	}
	return s
}
