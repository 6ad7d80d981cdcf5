package bench

import (
	"slices"
	"time"
)

// Stats are the order statistics of a set of repeated timings.
type Stats struct {
	N      int           `json:"n"` // timings summarized
	Median time.Duration `json:"median_ns"`
	Min    time.Duration `json:"min_ns"`
	Max    time.Duration `json:"max_ns"`
}

// Summarize returns the median, minimum and maximum of ds. The median of an
// even number of timings is the mean of the middle two, rounded down to the
// nanosecond. ds is not modified; an empty ds gives zero Stats.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		// a/2 + b/2 + carry avoids overflow of a+b near the Duration limit.
		a, b := s[n/2-1], s[n/2]
		med = a/2 + b/2 + (a%2+b%2)/2
	}
	return Stats{N: n, Median: med, Min: s[0], Max: s[n-1]}
}

// median returns the median of ds (0 when empty).
func median(ds []time.Duration) time.Duration { return Summarize(ds).Median }
