//go:build !linux

package interrupt

import "os"

// watchStdout watches nothing here: whether a pipe's write end polls
// POLLERR once its reader is gone is Linux's behaviour, checked there
// alone. A run stops at its first write to stdout after the reader has
// gone, as before.
func watchStdout(sigs chan<- os.Signal, stopped, done <-chan struct{}) {}
