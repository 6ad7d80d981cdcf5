//go:build race

package main

// raceEnabled says the test binary, and so every gpusim a script starts, is
// built with the race detector (make race). Such a gpusim maps some 2 GB of
// address space as it starts, more than the ulimit -v limits some scripts
// set leave it: they test those limits only without it ([!race]).
const raceEnabled = true
