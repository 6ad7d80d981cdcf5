package threads

import "testing"

// TestFitProcs: the GOMAXPROCS that fits total threads keeps GoMargin of
// them spare beside GoSpare where more than one fits (13 threads: 3, where
// 5 aborted under a loaded machine's 4 + 8 = 12), GOMAXPROCS=1 where it
// alone fits (9 or 10), and none below (8).
func TestFitProcs(t *testing.T) {
	for _, c := range []struct {
		total uint64
		want  int
	}{{0, -8}, {8, 0}, {9, 1}, {10, 1}, {11, 1}, {12, 2}, {13, 3}, {24, 14}, {1 << 40, 1<<20 - GoSpare - GoMargin}} {
		if got := FitProcs(c.total); got != c.want {
			t.Errorf("FitProcs(%d) = %d, want %d", c.total, got, c.want)
		}
	}
}
