//go:build !race

package main

// raceEnabled and raceSlowdown are false and 1 without the race detector
// (race_test.go).
const (
	raceEnabled  = false
	raceSlowdown = 1
)
