// Package descriptors reads how many file descriptors the process may
// still open (RLIMIT_NOFILE, ulimit -n), for refusing up front a command
// that would run out of them, and starts Go's poller while one is free.
package descriptors
