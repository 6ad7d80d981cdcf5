//go:build !unix

package cputime

// watchContinued does nothing here: there is no SIGCONT, and a gap in the
// beat is judged by its length (threadsAlive is unknown too).
func watchContinued() {}
