//go:build !unix

package interrupt

import "os"

// userStopSignals is empty where there is no SIGUSR1, SIGUSR2 or SIGALRM
// to send.
var userStopSignals []os.Signal

// userStopText is "" where there are no userStopSignals.
func userStopText(s os.Signal) string { return "" }

// TakeUserSignalsEarly does nothing where there are no userStopSignals.
func TakeUserSignalsEarly() {}
