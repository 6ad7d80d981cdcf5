// Package suggest finds the names nearest a mistyped one, for the "did you
// mean" of gpusim's errors: an unknown command or flag, and a flag's value
// outside its list (--engine SIMD, --format jsn).
package suggest

import (
	"slices"
	"strings"

	"github.com/xrash/smetrics"
)

// Closest is the names among candidates nearest to typed, a typo's
// (editDistance: a letter dropped, added or changed, at most one in a name
// of two to four letters, two in a longer one, none in a name of one
// letter; a name that differs in case alone is at 0), nearest first, nil
// where none is near. A tie lists each.
func Closest(typed string, candidates []string) []string {
	limit := 0 // -x is no typo of -q
	switch {
	case len(typed) > 4:
		limit = 2
	case len(typed) > 1:
		limit = 1
	}
	best, names := limit+1, []string(nil)
	for _, c := range candidates {
		d := editDistance(asciiLower(typed), asciiLower(c))
		switch {
		case d > limit:
		case d < best:
			best, names = d, []string{c}
		case d == best && !slices.Contains(names, c):
			names = append(names, c)
		}
	}
	return names
}

// Value is the "did you mean" of typed, a value of a flag that takes one of
// valid, as a clause an error puts after the value it names, before the
// valid list: "; did you mean simd?" for SIMD or simdd, "" where no value
// is near (Closest). A value in the wrong case got the valid list alone,
// where the one it meant was in it.
func Value(typed string, valid ...string) string {
	near := Closest(strings.TrimSpace(typed), valid)
	if len(near) == 0 {
		return ""
	}
	return "; did you mean " + OrList(near) + "?"
}

// asciiLower is s with A to Z made lowercase, its other bytes as they are
// (strings.ToLower makes a byte not UTF-8 three).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// editDistance is the Levenshtein distance of a and b, byte by byte
// (smetrics.WagnerFischer: insertions, deletions and substitutions, each
// 1; two letters swapped are 2), from the library urfave/cli's own
// suggestions use.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// No flag, command or value is that long: not a typo of one.
		return max(len(a), len(b))
	}
	return smetrics.WagnerFischer(a, b, 1, 1, 1)
}

// OrList joins names as "a", "a or b", "a, b or c".
func OrList(names []string) string {
	if k := len(names) - 1; k > 0 {
		return strings.Join(names[:k], ", ") + " or " + names[k]
	}
	return strings.Join(names, "")
}
