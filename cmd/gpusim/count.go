package main

import (
	"errors"
	"math"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
)

// countValue is a flag holding a count such as --lanes. Besides plain
// integers it reads 5_000_000, 5e6, 2.5e6 and 2^28, which are easier to get
// right than eight zeros.
type countValue struct{ n uint64 }

func (c *countValue) Set(s string) error {
	n, err := parseCount(s)
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

var (
	reInt   = regexp.MustCompile(`^[0-9]+(_[0-9]+)*$`)
	rePow   = regexp.MustCompile(`^([0-9]+)\^([0-9]+)$`)
	reSci   = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]*))?[eE]\+?([0-9]+)$`)
	errForm = errors.New("want a whole number such as 5000000, 5_000_000, 5e6 or 2^28")
	errBig  = errors.New("overflows uint64 (valid range 0..18446744073709551615)")
)

func parseCount(s string) (uint64, error) {
	switch {
	case reInt.MatchString(s):
		n, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			return 0, errBig
		}
		return n, nil
	case rePow.MatchString(s):
		m := rePow.FindStringSubmatch(s)
		b, err1 := strconv.ParseUint(m[1], 10, 64)
		e, err2 := strconv.ParseUint(m[2], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, errBig
		}
		return pow(b, e)
	case reSci.MatchString(s):
		m := reSci.FindStringSubmatch(s)
		digits := strings.TrimRight(m[1]+m[2], "0")
		zeros := len(m[1]+m[2]) - len(digits) // trailing zeros dropped from the digits
		e, err := strconv.ParseInt(m[3], 10, 64)
		if err != nil {
			return 0, errBig
		}
		e += int64(zeros) - int64(len(m[2])) // value = digits * 10^e
		if digits == "" {
			return 0, nil
		}
		if e < 0 {
			return 0, errors.New("is not a whole number")
		}
		d, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			return 0, errBig
		}
		p, err := pow(10, uint64(e))
		if err != nil {
			return 0, err
		}
		hi, lo := bits.Mul64(d, p)
		if hi != 0 {
			return 0, errBig
		}
		return lo, nil
	}
	return 0, errForm
}

// pow returns b^e, or errBig when it overflows uint64.
func pow(b, e uint64) (uint64, error) {
	if b < 2 || e == 0 {
		if e == 0 {
			return 1, nil
		}
		return b, nil
	}
	if e >= 64 {
		return 0, errBig
	}
	r := uint64(1)
	for range e {
		if r > math.MaxUint64/b {
			return 0, errBig
		}
		r *= b
	}
	return r, nil
}
