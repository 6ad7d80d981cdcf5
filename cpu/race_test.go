//go:build race

package cpu

// raceSlowdown is how much slower code runs under the race detector: 2 to 20
// times (the Go documentation's "Data Race Detector"); tests that bound how
// soon work stops scale their bounds by it.
const raceSlowdown = 20
