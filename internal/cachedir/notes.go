package cachedir

import (
	"fmt"
	"slices"
	"sync"
)

// Notes are what went wrong with a cache in this process, each said once,
// for the CLI to print after the run: a cache that cannot be read or
// written is a note, never a failure (gpu's program cache, auto's
// calibration). The zero value is empty and ready; it is safe for
// concurrent use.
type Notes struct {
	mu   sync.Mutex
	list []string
}

// Add notes fmt.Sprintf(format, a...), unless the same note is there.
func (n *Notes) Add(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(n.list, msg) {
		n.list = append(n.list, msg)
	}
}

// List returns the notes so far, in the order they came.
func (n *Notes) List() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.list)
}

// Drop forgets the notes so far for which drop is true (those that name a
// file a run has since replaced), and returns them.
func (n *Notes) Drop(drop func(note string) bool) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var gone []string
	n.list = slices.DeleteFunc(n.list, func(s string) bool {
		if drop(s) {
			gone = append(gone, s)
			return true
		}
		return false
	})
	return gone
}
