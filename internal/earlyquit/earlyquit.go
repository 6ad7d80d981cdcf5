// Package earlyquit takes SIGQUIT (Ctrl-\) from gpusim's package
// initialisation until interrupt.NotifyContext takes it: Go's runtime
// otherwise dumps every goroutine on a SIGQUIT and exits 2, the status of
// bad input, and gpusim's first 5 to 15 ms (its packages' initialisation,
// the checks of its flags and limits), or all of a command that never
// reaches NotifyContext (version, help, bad input), had that. Imported
// by gpusim's main alone (blank), with few dependencies so that its init
// runs early among the binary's; a SIGQUIT before it (Go's runtime start,
// about the first 4 ms) still has Go's default.
package earlyquit

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Status and Message are how a SIGQUIT before Stop ends the process: with
// SIGQUIT's status (128 + 3, interrupt.ExitSIGQUIT) and its message on
// stderr, as a stop after NotifyContext does. Nothing has been written
// before then, so there is nothing to remove.
const (
	Status  = 128 + int(syscall.SIGQUIT)
	Message = "gpusim: quit\n"
)

var held struct {
	sync.Mutex
	c chan os.Signal
}

func init() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGQUIT)
	held.c = c
	go func() {
		if _, ok := <-c; ok {
			os.Stderr.WriteString(Message)
			os.Exit(Status)
		}
	}()
}

// Stop ends the hold on SIGQUIT: called once interrupt.NotifyContext
// takes it (or the default is wanted back), after which a SIGQUIT no
// longer ends the process here. It may be called more than once.
func Stop() {
	held.Lock()
	defer held.Unlock()
	if held.c != nil {
		signal.Stop(held.c)
		close(held.c)
		held.c = nil
	}
}
