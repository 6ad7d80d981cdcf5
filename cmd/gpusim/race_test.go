//go:build race

package main

// raceEnabled says the test binary, and so every gpusim a script starts, is
// built with the race detector (make race). Such a gpusim maps some 2 GB of
// address space as it starts, more than the ulimit -v limits some scripts
// set leave it: they test those limits only without it ([!race]).
const raceEnabled = true

// raceSlowdown is how much slower code runs under the race detector: 2 to 20
// times (the Go documentation's "Data Race Detector"), some 8 times on
// TestSignalAfterCommit's run; tests that wait for a run's end by the clock
// scale their waits by it.
const raceSlowdown = 10
