// Package threads reads how many threads the process's user may still
// start under the process limit (RLIMIT_NPROC, ulimit -u), which counts
// every thread of every process of the user, for refusing up front a
// command whose threads would not all start, or running it on fewer.
package threads
