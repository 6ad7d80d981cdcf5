package sim

import (
	"strconv"
	"strings"
)

// Typed is the model flags' values as the user typed them (2^-150,
// 0x1p-24, 16777217), keyed by the flag's name without dashes (start,
// anchor, persistence, sigma), for the notes and reports to quote. A flag
// it lacks (a default, or a merge, whose parts keep the float64 values
// only) is quoted as float64's shortest decimal. The zero value is usable.
type Typed map[string]string

// Quote is flag's value v as a note names it: as typed, where that is a
// decimal that reads as v (16777217, 1e-46); as typed followed by v's
// shortest decimal in parentheses where it is a power, a hexadecimal or
// another form ("2^-150 (7.006492321624085e-46)": the note read "--sigma
// 7.006492321624085e-46 is 0 in float32" of --sigma 2^-150); v's shortest
// decimal alone where typed has none for flag.
func (t Typed) Quote(flag string, v float64) string {
	short := strconv.FormatFloat(v, 'g', -1, 64)
	typed := t[flag]
	if typed == "" || typed == short {
		return short
	}
	if r, err := strconv.ParseFloat(typed, 64); err == nil && r == v && !strings.ContainsAny(typed, "xX") {
		return typed
	}
	return typed + " (" + short + ")"
}
