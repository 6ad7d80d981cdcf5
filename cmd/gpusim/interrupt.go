package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// Exit statuses of a run that was stopped: 124 for --timeout, like
// timeout(1), and 128 + the signal number for a signal, like a shell.
const (
	exitTimeout = 124
	exitSIGINT  = 128 + int(syscall.SIGINT)
	exitSIGTERM = 128 + int(syscall.SIGTERM)
	exitSIGHUP  = 128 + int(syscall.SIGHUP)
)

// stopGrace is how long a cancelled run may take to return before Run ends
// the process anyway: well inside the second a stop may take.
const stopGrace = 600 * time.Millisecond

// exitLater, when set (by Run, for the real process), exits with status
// after stopGrace, writing msg to stderr, unless the func it returns is
// called first. In-process tests leave it nil.
var exitLater func(status int, msg string) (disarm func())

// armTimeout arms exitLater when ctx ends by the --timeout te, and returns
// the func that disarms it once the run has returned.
func armTimeout(ctx context.Context, te *timeoutError) (done func()) {
	if exitLater == nil {
		return func() {}
	}
	var mu sync.Mutex
	finished := false
	var disarm func()
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !finished && context.Cause(ctx) == te {
			disarm = exitLater(exitTimeout, fmt.Sprintf("gpusim: error: %v\n", te))
		}
	})
	return func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		finished = true
		if disarm != nil {
			disarm()
		}
	}
}

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	switch e.sig {
	case syscall.SIGTERM:
		return "terminated"
	case syscall.SIGHUP:
		return "hung up"
	}
	return "interrupted"
}

// status is the exit status for the signal: 128 + its number.
func (e *signalError) status() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitSIGINT
}

// timeoutError is the cause of a context cancelled by --timeout.
type timeoutError struct{ limit time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("--timeout: run exceeded %v", e.limit) }

// notifyContext returns a context cancelled with a *signalError on the first
// SIGINT, SIGTERM or SIGHUP (a dropped ssh session). It removes every
// output's temporary file at once, so that even a second signal, which
// kills the process the default way, leaves none behind.
func notifyContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			se := &signalError{s}
			cancel(se)
			atomicfile.AbortAll()
			if exitLater != nil {
				exitLater(se.status(), fmt.Sprintf("gpusim: %v\n", se))
			}
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel(nil)
	}
}
