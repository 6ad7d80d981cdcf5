package sim

import (
	"math"
	"strconv"
)

// ParamRounding is a float parameter that float32, the model's precision
// (docs/reproducibility.md, section 1), moves in a way a report shows
// (Params.Roundings): Typed is the flag's value as read (float64), Used
// the float32 value every engine computes with, exactly.
type ParamRounding struct {
	Flag  string  `json:"flag"`  // the CLI flag, without dashes
	Typed float64 `json:"typed"` // the flag's value as read
	Used  float64 `json:"used"`  // the float32 value, exactly
}

// revertShift is how far, relative to itself, float32 may move a
// parameter, or persistence's distance to 1 in magnitude (1 - |p|), before
// Roundings lists it. A parameter moves that far only where it is
// subnormal, whose shortest decimal can read as typed 40% away (1e-45 is
// 1.4e-45). 1 - |p| sets how fast the lanes revert and the exact law's
// variance (sigma^2 (1 - p^(2n)) / (1 - p^2)), and near 1 float32's
// spacing of 2^-24 is a large share of it, which the shortest decimal
// hides: --persistence 0.9999999 is 0.99999988 in float32, whose shortest
// decimal is 0.9999999 again, but 1 - p is 1.19e-7, not 1e-7.
const revertShift = 1e-3

// F32Text is a float32 value as the reports write the model's parameters:
// the shortest decimal that reads back as it in float32 (0.1 for the
// float32 nearest 0.1, 1.6777216e+07 for 16777217 rounded).
func F32Text(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// ReversionMoved says whether float32 moved 1 - |persistence|, the model's
// rate of reversion, by more than revertShift of itself (--persistence
// 0.9999999), r being the persistence's rounding: the report says so only
// then (it said "1 - |persistence| 1, not 1" of --persistence 1e-44).
func (r ParamRounding) ReversionMoved() bool {
	d, du := 1-math.Abs(r.Typed), 1-math.Abs(r.Used)
	return math.Abs(du-d) > revertShift*math.Abs(d)
}

// Roundings lists, in the order start, anchor, persistence, sigma, the
// parameters whose float32 value differs from the typed one in a way that
// matters, for the reports to show beside the float32 values they print:
//
//   - the float32 value, written as F32Text writes it, does not read back
//     as the typed value: the typed value has digits float32 does not
//     carry (16777217 is 16777216, 0.1000000001 is 0.1, and a subnormal
//     carries fewer: 1.2345678e-40 is 1.23457e-40), or is below float32's
//     least (it is 0);
//   - float32 moves the value by more than revertShift (a thousandth) of
//     itself, which only a subnormal's few digits can: 1e-45 is
//     1.401298464324817e-45, whose shortest decimal, one digit, reads 1e-45
//     again, and the exact law's sd is 1.4 times what 1e-45 gives (1e-40,
//     moved by 5e-6 of itself, is not listed);
//   - persistence's distance to 1 in magnitude, 1 - |p|, moves by more than
//     revertShift (a thousandth) of itself (0.9999999, above).
//
// A typed value that float32 holds to the digits typed (0.1, 75, 2^-24) is
// not listed: its F32Text is what was typed.
func (p Params) Roundings() []ParamRounding {
	m := p.Model()
	var out []ParamRounding
	for _, f := range []struct {
		flag  string
		typed float64
		used  float32
	}{{"start", p.Start, m.Start}, {"anchor", p.Anchor, m.Anchor}, {"persistence", p.Persistence, m.P}, {"sigma", p.Sigma, m.Sigma}} {
		u := float64(f.used)
		if u == f.typed {
			continue // exact
		}
		shown, _ := strconv.ParseFloat(F32Text(f.used), 64)
		moved := shown != f.typed || math.Abs(u-f.typed) > revertShift*math.Abs(f.typed)
		if f.flag == "persistence" {
			moved = moved || (ParamRounding{Typed: f.typed, Used: u}).ReversionMoved()
		}
		if moved {
			out = append(out, ParamRounding{Flag: f.flag, Typed: f.typed, Used: u})
		}
	}
	return out
}
