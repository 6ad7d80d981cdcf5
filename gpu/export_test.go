package gpu

import (
	"context"
	"slices"
	"strings"
)

// cachedPrograms counts the engines' programs alive in the process (for
// tests), not the self-test's (built with SELFTEST where the checks ran).
func cachedPrograms() int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	n := 0
	for _, s := range registry.m {
		s.mu.Lock()
		for k := range s.progs {
			if !slices.Contains(strings.Fields(k.options), "-DSELFTEST") {
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// forgetBypassed makes the process trust the disk cache's entries again, as
// a new process does, now and when the test ends (the entries a test
// bypassed have the keys of the next tests' programs).
func forgetBypassed(t interface{ Cleanup(func()) }) {
	forget := func() {
		bypassed.Lock()
		bypassed.m = nil
		bypassed.Unlock()
	}
	forget()
	t.Cleanup(forget)
}

// waitBackground waits for the engines Close released in the background
// (a cancelled run's launches still in flight), so that their programs are
// released before the next test opens a device.
func waitBackground() { background.Wait() }

// settled waits for the launches a cancelled run of e left in flight.
func (e *Engine) settled() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle(context.Background())
}

// openContexts counts the devices whose context is alive in the process
// (for tests): an engine not closed holds its device's.
func openContexts() int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return len(registry.m)
}
