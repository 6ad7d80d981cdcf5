package jsonnum

import (
	"bytes"
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
