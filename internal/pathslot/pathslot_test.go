package pathslot

import (
	"strings"
	"sync/atomic"
	"testing"
)

// TestClaim: each claim takes a free slot in turn and holds its path; a
// full table, an empty path or one of PathMax bytes gets none; a freed
// slot is claimed again once the turn comes round.
func TestClaim(t *testing.T) {
	var slots [3]Slot
	var next atomic.Uint32
	for i, p := range []string{"/a", "/b", "/c"} {
		if got := Claim(slots[:], &next, p); got != i {
			t.Fatalf("claim %d of %s: slot %d", i, p, got)
		}
		if got, ok := slots[i].Path(); !ok || got != p {
			t.Fatalf("slot %d: %q %v, want %s", i, got, ok, p)
		}
	}
	for _, p := range []string{"/d", "", strings.Repeat("x", PathMax)} {
		if got := Claim(slots[:], &next, p); got != -1 {
			t.Errorf("claim of %.10q: slot %d, want -1", p, got)
		}
	}
	Free(slots[:], 1)
	Free(slots[:], -1)
	if _, ok := slots[1].Path(); ok {
		t.Fatal("a freed slot still holds its path")
	}
	if got := Claim(slots[:], &next, "/e"); got != 1 {
		t.Errorf("claim after a free: slot %d, want 1", got)
	}
	if PathOffset != 8 || Size != 8+PathMax {
		t.Errorf("path at %d, slot of %d bytes: want 8 and %d, the handler's layout", PathOffset, Size, 8+PathMax)
	}
}
