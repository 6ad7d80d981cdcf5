package cachedir

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestNotes: each note once, in the order it came, from many goroutines;
// Drop forgets and returns those it matches, and leaves the others.
func TestNotes(t *testing.T) {
	var n Notes
	if l := n.List(); len(l) != 0 {
		t.Fatalf("zero Notes lists %q", l)
	}
	n.Add("cache: %s is corrupt", "/c/a")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { n.Add("cache: %s is corrupt", "/c/a") })
	}
	wg.Wait()
	n.Add("cache: %s not written", "/c/b")
	n.Add("cache: %s is corrupt", "/c/b")
	want := []string{"cache: /c/a is corrupt", "cache: /c/b not written", "cache: /c/b is corrupt"}
	if l := n.List(); !slices.Equal(l, want) {
		t.Fatalf("List() = %q, want %q", l, want)
	}
	l := n.List()
	l[0] = "changed"
	if n.List()[0] != want[0] {
		t.Error("List's slice is Notes' own")
	}
	gone := n.Drop(func(s string) bool { return strings.Contains(s, "/c/b") })
	if !slices.Equal(gone, want[1:]) || !slices.Equal(n.List(), want[:1]) {
		t.Errorf("Drop: gone %q, left %q; want %q, %q", gone, n.List(), want[1:], want[:1])
	}
}
