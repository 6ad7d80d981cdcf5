package main

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/suggest"
	"github.com/gpusim/gpusim/sim"
)

// countValue is a whole-number flag read with the one count grammar
// (internal/count: 5000000, 5_000_000, 5e6, 2.5M, 2^28; 010 is ten) and
// checked against its flag's range, so the error names the range. Spaces
// around the value are ignored, as in lists, --shard and the variables
// --shard auto reads (--lanes " 5e6" was refused where --shard " 1/4"
// and --device "0, 2" were not); spaces inside it are not ("5 M").
type countValue struct {
	n, lo, hi uint64
	// valid, when set, is the range a malformed value's error names, for
	// flags whose range run checks later, in context (--paths).
	valid string
	// oneOf, when set, lists the only values the flag takes (--vector-
	// width's widths), in, besides 0: any other value is refused as not a
	// valid width, naming them, not hi's range. --vector-width -1 read
	// 'invalid value "-1": not a valid value' and 3 "3 is not a valid
	// width", without the value typed.
	oneOf string
	in    []int
	// typed is the value as given, for the errors of the checks run
	// makes later (--paths 0: invalid value "0": ...).
	typed string
}

func (c *countValue) Set(s string) error {
	c.typed = s
	s = strings.TrimSpace(s)
	if c.valid != "" {
		var re *count.RangeError
		if _, err := count.ParseIn(s, 0, math.MaxUint64); errors.As(err, &re) {
			// -1 and 2^64: "is negative", "is out of range", with
			// the range run checks later, as the others word them.
			re.Valid = c.valid
			return re
		} else if _, err := count.Parse(s); errors.Is(err, count.ErrFraction) {
			// led by the value, as -1's: --steps 1.5 read 'invalid
			// value "1.5": is not a whole number', with no subject.
			return fmt.Errorf("%s %w (valid range %s)", s, err, c.valid)
		} else if err != nil {
			return fmt.Errorf("%w (valid range %s)", err, c.valid)
		}
	}
	n, err := count.ParseIn(s, c.lo, c.hi)
	if c.oneOf != "" && (err != nil || n != 0 && !slices.Contains(c.in, int(n))) {
		if s == "" {
			return fmt.Errorf("not a valid width (valid: %s)", c.oneOf)
		}
		var digits *count.DigitsError
		if errors.As(err, &digits) {
			if w, err := count.ParseIn(digits.ASCII, c.lo, c.hi); err == nil && (w == 0 || slices.Contains(c.in, int(w))) {
				// --vector-width １６: as a count's (it read
				// "１６ is not a valid width").
				return fmt.Errorf("%v (valid: %s)", digits, c.oneOf)
			}
		}
		return fmt.Errorf("%s is not a valid width (valid: %s)", s, c.oneOf)
	}
	if err != nil {
		return err
	}
	c.n = n
	return nil
}

func (c *countValue) String() string {
	if c == nil {
		return "0"
	}
	return strconv.FormatUint(c.n, 10)
}

// countFlag is a count flag called name with value def in [lo, hi]; its
// help gives the range.
func countFlag(name string, def, lo, hi uint64, usage string) *cli.GenericFlag {
	return &cli.GenericFlag{Name: name, Value: &countValue{n: def, lo: lo, hi: hi}, Usage: usage + " (" + count.Range(lo, hi) + ")"}
}

// stepsFlag is run's --steps, whose usage also gives --daily's lower
// bound on it: that bound was only in the error that refused it.
func stepsFlag(def uint64) *cli.GenericFlag {
	f := countFlag("steps", def, 0, sim.MaxSteps, "`N` days each lane is stepped")
	f.Usage = strings.TrimSuffix(f.Usage, ")") + fmt.Sprintf("; at most %d with --daily)", sim.MaxDailySteps)
	return f
}

// getCount is the value of a countFlag.
func getCount(c *cli.Context, name string) uint64 { return c.Generic(name).(*countValue).n }

// getInt is the value of a countFlag whose range fits an int.
func getInt(c *cli.Context, name string) int { return int(getCount(c, name)) }

// floatValue is a model parameter's flag: a number as Go reads one (75,
// -3.5, 1e-3, 1_000.5, inf and nan, which the parameter checks refuse by
// name), hexadecimal as the count flags take it (0x10 is 16, and a
// hexadecimal float such as 0x1.4p2, 5, gives exact float bits), and the
// count flags' power form, exactly and then rounded once to float64
// (2^126, -2^126, 2^-24; count.Power), as the help writes --start's range.
// A number past float64's range (1e400, 2^2000) is refused as out of the
// flag's range, and one that is not 0 but below float64's least magnitude
// (1e-400, 2^-1100), which float64 reads as 0, as not 0: it ran as 0
// without a word, where 1e-320, which float32 makes 0, gets a note.
type floatValue struct {
	name string // for the error, which wantValue words
	v    float64
	// typed is the value as given, spaces around it trimmed, which the
	// notes quote (2^-150, not 7.006492321624085e-46); "" for the default.
	typed string
}

func (f *floatValue) Set(s string) error {
	s = strings.TrimSpace(s) // spaces around as countValue
	v, err := parseFloat(s)
	// A negative number where the range starts at 0 (--sigma) is
	// negative, as a count's is, a power too (-2^-1), and one past
	// float64's range or nearer 0 than its least (-2^2000, -2^-1100,
	// which read "is out of range" where -2^-1 read "must be at least
	// 0, got -0.5"). A finite number
	// outside the range is refused here, as typed and in the words of
	// every range error: --sigma -1 read "must be at least 0, got -1" and
	// --sigma 1e39 "1e+39 is beyond gpusim's limit", from the check of
	// the job (sim.Params.ValidateRanges), which still refuses inf and
	// nan.
	lo, hi := sim.ParamRange(f.name)
	negative := lo == 0 && (err == nil && v < 0 || strings.HasPrefix(s, "-") && (errors.Is(err, errFloatRange) || errors.Is(err, errFloatTiny)))
	switch {
	case err == nil && (math.IsNaN(v) || math.IsInf(v, 0)):
		// As typed and led by the value, as every range error: "must
		// be a finite number, got +Inf" (for inf) came from the check
		// of the job, without "invalid value".
		return fmt.Errorf("%s is not a finite number (%s)", s, sim.ValidRange(f.name))
	case negative:
		return fmt.Errorf("%s is negative (%s)", s, sim.ValidRange(f.name))
	case errors.Is(err, errFloatRange) || (err == nil || errors.Is(err, errFloatTiny)) && !powerWithin(s, f.name),
		err == nil && !math.IsInf(v, 0) && (v < lo || v > hi):
		// With its subject, as every range error: "1e400 is out of
		// range" (it read "invalid value "1e400": is out of range").
		return fmt.Errorf("%s is out of range (%s, %s)", s, sim.ValidRange(f.name), sim.ParamLimit(f.name))
	case errors.Is(err, errFloatTiny):
		return fmt.Errorf("%s is not 0 but below float64's least magnitude, %.2g, which reads it as 0 (type 0 for 0; %s)", s, math.SmallestNonzeroFloat64, sim.ValidRange(f.name))
	case err != nil:
		if a, sign := count.ASCIIMinus(s); sign != 0 {
			a, _ = count.ASCIIDigits(a)
			if _, err := parseFloat(a); err == nil || errors.Is(err, errFloatRange) || errors.Is(err, errFloatTiny) {
				if lo == 0 && strings.HasPrefix(a, "-") {
					return fmt.Errorf("%s is negative (%s)", s, sim.ValidRange(f.name)) // --sigma −5, as -５
				}
				// --start −5, as a document typesets it: the
				// sign, as ５ gets its digits (it read "want a
				// number such as 75").
				return fmt.Errorf("%v (%s)", &count.MinusError{Sign: sign, ASCII: a}, sim.ValidRange(f.name))
			}
		}
		if a, ok := count.ASCIIDigits(s); ok {
			if _, err := parseFloat(a); err == nil {
				if lo == 0 && strings.HasPrefix(a, "-") {
					// --sigma -５: negative, as a count's, with
					// no advice (it read "write -5").
					return fmt.Errorf("%s is negative (%s)", s, sim.ValidRange(f.name))
				}
				// --start ７５: as a count's (it read "want a
				// number such as 75").
				return fmt.Errorf("%v (%s)", &count.DigitsError{ASCII: a}, sim.ValidRange(f.name))
			}
		}
		return errors.New(wantValue[f.name])
	}
	f.v, f.typed = v, s
	return nil
}

// powerWithin says whether s, where it is in the power form, is within the
// range of the flag name (sim.ParamRange) exactly, before the rounding to
// float64: the power form is exact, and 2^126+1, which float64 rounds to
// 2^126, ran as --start 2^126 where the range ends at 2^126. A decimal is
// the float64 it reads as, so that the ranges as the help and the errors
// write them (8.507059173023462e+37, float64's shortest decimal of 2^126)
// are typed back as they read. Other forms are true.
func powerWithin(s, name string) bool {
	r, ok, err := count.Power(s)
	if !ok || err != nil {
		return true
	}
	lo, hi := sim.ParamRange(name)
	var l, h big.Rat
	l.SetFloat64(lo)
	h.SetFloat64(hi)
	return r.Cmp(&l) >= 0 && r.Cmp(&h) <= 0
}

// errFloatRange is a number beyond float64's range; errFloatTiny one that
// is not 0 but nearer 0 than float64's least magnitude, 4.9e-324.
var (
	errFloatRange = errors.New("beyond float64's range")
	errFloatTiny  = errors.New("below float64's least magnitude")
)

// parseFloat reads a float flag's value (see floatValue): the power form
// exactly, rounded once; else strconv.ParseFloat, with a whole hexadecimal
// number given the exponent it wants. Errors are errFloatRange,
// errFloatTiny or a form error.
func parseFloat(s string) (float64, error) {
	if r, ok, err := count.Power(s); ok {
		if errors.Is(err, count.ErrOverflow) {
			return 0, errFloatRange
		} else if err != nil {
			return 0, err
		}
		v, _ := r.Float64()
		if math.IsInf(v, 0) {
			return 0, errFloatRange
		} else if v == 0 && r.Sign() != 0 {
			return 0, errFloatTiny
		}
		return v, nil
	}
	h := strings.TrimLeft(s, "+-")
	if len(h) > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') && !strings.ContainsAny(h, "pP") {
		s += "p0" // a whole hexadecimal number, which ParseFloat wants with an exponent
	}
	v, err := strconv.ParseFloat(s, 64)
	if errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0) {
		return 0, errFloatRange
	} else if err == nil && v == 0 && nonzeroDigits(s) {
		return 0, errFloatTiny // ParseFloat's underflow to 0 is no error
	}
	return v, err
}

// nonzeroDigits says whether the significand of s, a number strconv.ParseFloat
// has read (decimal, or hexadecimal with its p exponent), has a digit other
// than 0: whether s is not 0, whatever its exponent.
func nonzeroDigits(s string) bool {
	m := strings.TrimLeft(s, "+-")
	if len(m) > 1 && m[0] == '0' && (m[1] == 'x' || m[1] == 'X') {
		m = m[2:]
		m, _, _ = strings.Cut(strings.ToLower(m), "p")
	} else {
		m, _, _ = strings.Cut(strings.ToLower(m), "e")
	}
	return strings.ContainsAny(m, "123456789abcdef")
}

func (f *floatValue) String() string {
	if f == nil {
		return "0"
	}
	return strconv.FormatFloat(f.v, 'g', -1, 64)
}

// floatFlag is a model parameter's flag called name with default def.
func floatFlag(name string, def float64, usage string) *cli.GenericFlag {
	return &cli.GenericFlag{Name: name, Value: &floatValue{name: name, v: def}, Usage: usage}
}

// getFloat is the value of a floatFlag.
func getFloat(c *cli.Context, name string) float64 { return c.Generic(name).(*floatValue).v }

// modelTyped is the model flags' values as typed on the command line, for
// the notes and the report to quote (sim.Typed); a flag left at its
// default is not in it.
func modelTyped(c *cli.Context) sim.Typed {
	t := sim.Typed{}
	for _, name := range []string{"start", "anchor", "persistence", "sigma"} {
		if typed := c.Generic(name).(*floatValue).typed; typed != "" {
			t[name] = typed
		}
	}
	return t
}

// durationValue is a duration flag (--timeout) as Go reads one (30s, 5m,
// 1h30m), spaces around it ignored as around every number gpusim reads
// (--timeout ' 10s' was refused where --lanes ' 5e6' was not), within
// [0, maxTimeout]; one that is not 0 but that Go reads as 0 (0.5ns, under
// its nanosecond) is refused, as 0 means none.
type durationValue struct {
	d time.Duration
	// typed is the value as given, spaces around it trimmed, which
	// messages echo (0.5s, not Go's 500ms).
	typed string
}

// maxTimeout is the most --timeout takes, a whole number of hours under
// time.Duration's largest (2562047h47m16.854775807s), so that the range
// the errors state can be typed back: 2562047h and nothing past it.
const maxTimeout = 2562047 * time.Hour

// reDuration is the grammar time.ParseDuration reads, which it refuses
// with the same error whether a duration is malformed or past
// time.Duration's range (about 2562047h47m): one that matches it and is
// refused is out of range, not malformed (--timeout 3000000h read "want a
// duration such as 30s").
// reBareNumber is a decimal number without a unit, which
// time.ParseDuration refuses but for 0.
var reBareNumber = lazyRegexp(`^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$`)

var reDuration = lazyRegexp(`^[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$`)

func (v *durationValue) Set(s string) error {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	negative := strings.HasPrefix(s, "-") && strings.ContainsAny(s, "123456789")
	switch {
	case negative && (err == nil || reDuration().MatchString(s) || reBareNumber().MatchString(s)):
		// Below 0 as typed, in the words counts use (--lanes -1 "is below
		// 0"): -1s, -3000000h past Go's range, and -0.5ns, which Go reads
		// as 0.
		return fmt.Errorf("%s is negative (valid range 0..%s, 0 for none)", s, durationText(maxTimeout))
	case err != nil && reBareNumber().MatchString(s) && strings.Trim(s, "+-0.") == "":
		d = 0 // 00, 0.0: 0, none, as 0 is (Go reads "0" alone)
	case err != nil && reBareNumber().MatchString(s) && !negative:
		// --timeout 3600: a number without a unit, as a script may
		// give seconds; it read "want a duration such as 30s", as a
		// typo.
		return noUnit(s, strings.TrimPrefix(s, "+")+"s")
	case err != nil && reDuration().MatchString(s):
		return fmt.Errorf("%s is out of range (valid range 0..%s, 0 for none)", s, durationText(maxTimeout))
	case err != nil:
		return durationRefusal(s)
	case d > maxTimeout:
		// As typed, as the other cases: 2562047h30m read 2562047h30m0s.
		return fmt.Errorf("%s is out of range (valid range 0..%s, 0 for none)", s, durationText(maxTimeout))
	case d == 0 && strings.ContainsAny(s, "123456789"):
		// 0.5ns, which Go reads as 0, none: it ran without a limit.
		return fmt.Errorf("%s is not 0 but under a nanosecond, the least a duration counts, and would read as 0, none (valid range 0..%s, 0 for none)", s, durationText(maxTimeout))
	}
	v.d, v.typed = d, s
	return nil
}

// reExpNumber is a number with an exponent and without a unit (1e3),
// which time.ParseDuration refuses.
var reExpNumber = lazyRegexp(`^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+$`)

// durationRefusal is the error for s, a duration Go refuses that is not a
// bare number or out of range: the advice for a typo where there is one
// (durationAdvice; digits of another script; 1e3, a number with an
// exponent and no unit; -1d, negative whatever its typo), else the general
// words (-1d and 1e3 read "want a duration such as 30s").
func durationRefusal(s string) error {
	valid := fmt.Sprintf("(valid range 0..%s, 0 for none)", durationText(maxTimeout))
	if a, sign := count.ASCIIMinus(s); sign != 0 {
		a, _ = count.ASCIIDigits(a)
		var d durationValue
		if err := d.Set(a); err == nil || strings.Contains(err.Error(), " is negative ") {
			if rest, ok := strings.CutPrefix(a, "-"); ok && strings.ContainsAny(rest, "123456789") {
				return fmt.Errorf("%s is negative %s", s, valid) // −5s, as -５s
			}
			// −0s: the sign, as the numbers' hint names it.
			return fmt.Errorf("%v %s", &count.MinusError{Sign: sign, ASCII: a}, valid)
		}
	}
	if a, ok := count.ASCIIDigits(s); ok {
		if _, err := time.ParseDuration(a); err == nil {
			if strings.HasPrefix(a, "-") && strings.ContainsAny(a, "123456789") {
				// -５s: negative, as a count's, with no
				// advice (it read "write -5s").
				return fmt.Errorf("%s is negative %s", s, valid)
			}
			// --timeout ３０s: as a count's.
			return fmt.Errorf("%v %s", &count.DigitsError{ASCII: a}, valid)
		}
		switch {
		case reBareNumber().MatchString(a) && strings.HasPrefix(a, "-") && strings.ContainsAny(a, "123456789"):
			return fmt.Errorf("%s is negative %s", s, valid) // －１
		case reBareNumber().MatchString(a) && strings.Trim(a, "+-0.") == "":
			return fmt.Errorf("%v %s", &count.DigitsError{ASCII: a}, valid) // ００, as 00
		case reBareNumber().MatchString(a) && !strings.HasPrefix(a, "-"):
			// --timeout １: the digits and the unit, as 1 and ３０s
			// get (it read "want a duration such as 30s").
			return fmt.Errorf("digits other than ASCII 0-9 are not read, and %s has no unit: write it with one, such as %ss for seconds %s", a, strings.TrimPrefix(a, "+"), valid)
		}
	}
	if reExpNumber().MatchString(s) {
		// 1e400 is +Inf with ErrRange, past the range as 1e30 is.
		n, _ := strconv.ParseFloat(s, 64)
		if n < 0 {
			return fmt.Errorf("%s is negative %s", s, valid) // -1e3, -1e400
		}
		return noUnit(s, strconv.FormatFloat(n, 'f', -1, 64)+"s")
	}
	if rest, neg := strings.CutPrefix(s, "-"); pastRange(strings.TrimPrefix(rest, "+")) {
		if neg {
			return fmt.Errorf("%s is negative %s", s, valid) // -1e400s
		}
		// 1e400s, 1e10s, 1e20d: out of range, as 3000000h is; Go
		// refuses them and they read "want a duration such as 30s".
		return fmt.Errorf("%s is out of range %s", s, valid)
	}
	if advice, ok := durationAdvice(s); ok {
		return fmt.Errorf("%s %s", advice, valid)
	}
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		if _, ok := durationAdvice(rest); ok {
			// -1d: below 0 whatever the unit, as -1h is.
			return fmt.Errorf("%s is negative %s", s, valid)
		}
	}
	return errors.New(wantValue["timeout"])
}

// noUnit is the refusal of s, a number without a unit (3600, 1e3): the
// advice to write it as seconds, secs, where that is in range; out of range
// where it is past the range whatever its unit, nanoseconds the least
// (1e30, 99999999999999999999: they read "want a duration such as 30s" and
// "write 99999999999999999999s", which is past it too); else the advice
// without seconds, which would be (1e15).
func noUnit(s, secs string) error {
	valid := fmt.Sprintf("(valid range 0..%s, 0 for none)", durationText(maxTimeout))
	if n, _ := strconv.ParseFloat(s, 64); n > float64(maxTimeout) {
		return fmt.Errorf("%s is out of range %s", s, valid)
	}
	if _, err := time.ParseDuration(secs); err != nil {
		return fmt.Errorf("%s has no unit: write it with one %s", s, valid)
	}
	return fmt.Errorf("%s has no unit: write it with one, such as %s for seconds %s", s, secs, valid)
}

// unitNanos is the nanoseconds in each unit durationUnits gives, and in a
// day and a week, which durationAdvice writes in hours.
var unitNanos = map[string]float64{
	"ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9,
	"d": 24 * 3600e9, "w": 7 * 24 * 3600e9,
}

// pastRange says whether s, a duration without its sign, is past
// maxTimeout in the units Go reads or durationAdvice's typos of them, with
// or without an exponent (1e400s, 1e10s, 1e20d): time.ParseDuration
// refuses these, as it does what is malformed, and durationAdvice
// has no duration to advise.
func pastRange(s string) bool {
	parts := reDurationPart().FindAllStringSubmatchIndex(s, -1)
	if len(parts) == 0 || parts[0][0] != 0 {
		return false
	}
	total, end := 0.0, 0
	for _, p := range parts {
		if p[0] != end {
			return false
		}
		end = p[1]
		lower := strings.ToLower(s[p[6]:p[7]])
		unit, ok := durationUnits[lower]
		switch lower {
		case "d", "day", "days":
			unit, ok = "d", true
		case "w", "wk", "week", "weeks":
			unit, ok = "w", true
		}
		if !ok {
			return false
		}
		num := s[p[2]:p[3]]
		if p[4] >= 0 {
			num = s[p[2]:p[5]] // with its exponent
		}
		n, _ := strconv.ParseFloat(num, 64) // 1e400: +Inf
		total += n * unitNanos[unit]
	}
	return end == len(s) && total > float64(maxTimeout)
}

// reDurationPart is one number and its unit as a user may type them, a
// unit Go does not read included (1d, 5min, 30S, 1e3s).
var reDurationPart = lazyRegexp(`([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?([a-zA-Zµμ]+)`)

// durationUnits are the units Go reads, and the words and capitals a
// user may write for them (lowered), each with the unit to write.
var durationUnits = map[string]string{
	"ns": "ns", "us": "us", "µs": "µs", "μs": "μs", "ms": "ms", "s": "s", "m": "m", "h": "h",
	"sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"min": "m", "mins": "m", "minute": "m", "minutes": "m",
	"hr": "h", "hrs": "h", "hour": "h", "hours": "h",
	"msec": "ms", "msecs": "ms",
}

// durationAdvice is the advice for s, a duration Go refuses, where one
// typo makes it so, as the count flags give (5,000: "write 5000"): a day
// (1d: write 24h) or a week (1w: write 168h), a capital (30S), a unit written as a word (5min, 2hr)
// or an exponent (1e3s: write 1000s); false where s is not such a typo.
func durationAdvice(s string) (string, bool) {
	parts := reDurationPart().FindAllStringSubmatchIndex(s, -1)
	if len(parts) == 0 || parts[0][0] != strings.IndexFunc(s, func(r rune) bool { return r != '+' }) {
		return "", false
	}
	var fixed strings.Builder
	why, days, end := "", false, parts[0][0]
	for _, p := range parts {
		if p[0] != end {
			return "", false // something between the parts (1h 30m, 1h-30m)
		}
		end = p[1]
		num, exp, unit := s[p[2]:p[3]], "", s[p[6]:p[7]]
		if p[4] >= 0 {
			exp = s[p[4]:p[5]]
		}
		lower := strings.ToLower(unit)
		to, known := durationUnits[lower]
		day := lower == "d" || lower == "day" || lower == "days"
		week := lower == "w" || lower == "wk" || lower == "week" || lower == "weeks"
		n, err := strconv.ParseFloat(num+exp, 64)
		switch {
		case day:
			to, known, days, n = "h", true, true, n*24
		case week:
			to, known, days, n = "h", true, true, n*24*7
		}
		if !known || err != nil {
			return "", false
		}
		switch {
		case why != "":
		case day, week:
			why = unit + " is not a unit"
		case exp != "":
			why = "a duration takes no exponent"
		case to == lower && to != unit:
			why = "units are lowercase"
		case to != unit:
			why = unit + " is not a unit"
		}
		fixed.WriteString(strconv.FormatFloat(n, 'f', -1, 64) + to)
	}
	d, err := time.ParseDuration(fixed.String())
	if end != len(s) || why == "" || err != nil {
		return "", false
	}
	want := fixed.String()
	if days {
		want = shortDuration(d)
	}
	return fmt.Sprintf("%s: write %s", why, want), true
}

// shortDuration is d as Go writes it without its zero minutes and seconds
// (36h, not 36h0m0s; 1h30m).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// durationText is d as a whole number of hours where it is one (2562047h,
// not Go's 2562047h0m0s), else as Go writes it.
func durationText(d time.Duration) string {
	if d%time.Hour == 0 && d != 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

func (v *durationValue) String() string {
	if v == nil {
		return "0s"
	}
	return v.d.String()
}

// listFlag reads a comma-separated list of counts within [lo, hi].
func listFlag(c *cli.Context, name string, lo, hi uint64) ([]uint64, error) {
	ns, err := count.ParseList(c.String(name), lo, hi)
	if d := count.Grouped(strings.TrimSpace(c.String(name))); err != nil && d != "" {
		// 5,000: the commas made it 5 and 000, refused as 0.
		return nil, paramErr(name, "invalid value %q: commas part a list's counts, and %v (valid range %s)", c.String(name), &count.GroupedError{Digits: d}, count.Range(lo, hi))
	}
	if err != nil {
		if msg := err.Error(); !strings.HasPrefix(msg, "invalid value") {
			// As a single count's error reads: invalid value "0": 0 is
			// out of range (...).
			return nil, paramErr(name, "invalid value %q: %s", c.String(name), msg)
		}
		return nil, paramErr(name, "%v", err)
	}
	return ns, nil
}

// intList is listFlag for counts in [1, hi] that fit an int.
func intList(c *cli.Context, name string, hi uint64) ([]int, error) {
	ns, err := listFlag(c, name, 1, hi)
	out := make([]int, len(ns))
	for i, n := range ns {
		out[i] = int(n)
	}
	return out, err
}

// The set functions read a flag over a value that has a default of its own
// (bench's suites: --quick changes them) only where the flag is given.

// setInt sets *v to the value of the countFlag name where it is given.
func setInt(c *cli.Context, name string, v *int) {
	if c.IsSet(name) {
		*v = getInt(c, name)
	}
}

// setList sets *v to the listFlag name's counts in [lo, hi] where it is given.
func setList(c *cli.Context, name string, lo, hi uint64, v *[]uint64) error {
	if !c.IsSet(name) {
		return nil
	}
	ns, err := listFlag(c, name, lo, hi)
	if err == nil {
		*v = ns
	}
	return err
}

// setIntList sets *v to the intList name's counts in [1, hi] where it is given.
func setIntList(c *cli.Context, name string, hi uint64, v *[]int) error {
	if !c.IsSet(name) {
		return nil
	}
	ns, err := intList(c, name, hi)
	if err == nil {
		*v = ns
	}
	return err
}

// nameValue is the value of name, a flag that takes a name or a word
// (--format, --engine, --baseline, --math, --device, --shard,
// --plot-format), without the spaces and tabs around it, as around a
// number: every check of such a flag reads it here (--baseline ' none'
// was refused where --format ' json' was not).
func nameValue(c *cli.Context, name string) string {
	return strings.TrimSpace(c.String(name))
}

// emptyName refuses flag given empty or only whitespace, as by an unset
// shell variable, in the shape of every refused value, `invalid value
// "V": want WHAT (valid: VALID)`, the value quoted as typed: an empty
// --engine read `unknown engine ""`, and then every name-valued flag
// `needs an engine, got "" (valid: ...)` where a number's read `invalid
// value "": want a number ... (valid range ...)`.
func emptyName(c *cli.Context, flag, what, valid string) error {
	return blankValue(flag, c.String(flag), what, valid)
}

// blankValue is emptyName's error for flag given typed, empty or blank:
// `invalid value "typed": want what (valid: valid)`, without the bracket
// where valid is "". Every flag that takes a name, a file name or a path
// refuses an empty or blank value with it (shard.Parse words --shard's
// the same).
func blankValue(flag, typed, what, valid string) error {
	msg := fmt.Sprintf("invalid value %q: want %s", typed, what)
	if valid != "" {
		msg += " (valid: " + valid + ")"
	}
	return paramErr(flag, "%s", msg)
}

// isBlank reports whether s is empty or only whitespace, as an unset or
// quoted-blank shell variable gives it.
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// checkFormat refuses a --format outside valid; spaces around the name
// are ignored, as around a number (a name of spaces is refused as given).
func checkFormat(c *cli.Context, valid ...string) (string, error) {
	f := nameValue(c, "format")
	if f == "" && c.IsSet("format") {
		return f, emptyName(c, "format", "a format", strings.Join(valid, ", "))
	}
	for _, v := range valid {
		if f == v {
			return f, nil
		}
	}
	return f, paramErr("format", "unknown format %q%s (valid: %s)", c.String("format"), suggest.Value(f, valid...), strings.Join(valid, ", "))
}

// noArgs refuses positional arguments to a command that takes none, with
// a hint for the argument given (strayHint).
func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		arg := c.Args().First()
		return &usageError{msg: fmt.Sprintf("%s takes no arguments, got %q", c.Command.Name, arg), hint: strayHint(c.Command, arg)}
	}
	return nil
}

// strayHint is the hint for arg given to cmd, which takes no arguments,
// by what it looks like: a flag after a bare --, a flag's name without its
// dashes (lanes=5), a switch's value (--daily true, which takes
// --daily=true), a value without its flag or split by spaces (1000, or
// "--lanes 1 000"), or a word. Every stray argument was told "flags take
// two dashes", which "extra" had not left out.
func strayHint(cmd *cli.Command, arg string) string {
	name, _, _ := strings.Cut(arg, "=")
	flagNamed := func(n string) cli.Flag {
		for _, f := range cmd.Flags {
			if slices.Contains(f.Names(), n) {
				return f
			}
		}
		return nil
	}
	help := fmt.Sprintf("gpusim %s --help lists them", cmd.Name)
	own := slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return f.Names()[0] != "help" })
	switch {
	case !own:
		// version: it read "version takes no arguments" without a
		// word of what was given or what to do.
		return fmt.Sprintf("gpusim %s takes no flags (but --help) and no arguments: give it alone", cmd.Name)
	case arg == "-":
		// Not after a --: the flag package takes - for an argument.
		return fmt.Sprintf("gpusim %s reads no standard input (-) and takes only flags; %s", cmd.Name, help)
	case strings.HasPrefix(arg, "-"):
		return "a bare -- ends the flags: give them before it"
	case name != "" && flagNamed(name) != nil:
		return fmt.Sprintf("flags take two dashes: --%s", arg)
	case arg == "true" || arg == "false":
		for _, f := range cmd.Flags {
			if b, ok := f.(*cli.BoolFlag); ok && b.Name != "help" {
				return fmt.Sprintf("a switch takes its value after =, as in --%s=%s; %s", b.Name, arg, help)
			}
		}
	}
	if looksNumeric(arg) {
		example := ""
		if flagNamed("lanes") != nil {
			example = ", as in --lanes 1000"
		}
		return fmt.Sprintf("a value follows its flag%s, and one with spaces is quoted; %s", example, help)
	}
	return fmt.Sprintf("gpusim %s takes only flags; %s", cmd.Name, help)
}

// looksNumeric says whether s starts with a digit, as a count with a
// suffix (5M, 1e6) or part of one split by spaces does.
func looksNumeric(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// paramErr is bad input for --flag: it prints as gpusim: error: --flag: ...
// and exits 2.
func paramErr(flag, format string, a ...any) error {
	return &sim.ParamError{Flag: flag, Msg: fmt.Sprintf(format, a...)}
}

// typedValue is err, a *sim.ParamError of the countValue flag name from a
// check run makes after the flag's own, led by the value as typed, as the
// flag's own errors are: --paths 0 read "0 is out of range" where --paths
// -1 read "invalid value "-1": -1 is negative". Other errors are as they
// are.
func typedValue(c *cli.Context, name string, err error) error {
	var pe *sim.ParamError
	if !errors.As(err, &pe) || pe.Flag != name {
		return err
	}
	return paramErr(name, "invalid value %q: %s", c.Generic(name).(*countValue).typed, pe.Msg)
}
