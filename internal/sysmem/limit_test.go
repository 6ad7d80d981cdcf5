package sysmem

import "testing"

// TestSuggestLimit: the limit named to a process short of room is its
// limit, the shortfall and a heap arena, rounded up to 10000 KiB; where the
// process started with the Go runtime's smaller reservations (VmSize 0.77
// GB under ulimit -v 1000000) and the figure is past the highest limit
// that keeps them, what a start maps more above it (1.3 GB) counts too:
// OpenCL's hint under 1000000 named 1.25 GB, where Go's runtime did not
// start at all ("fatal error: out of memory" before any of gpusim ran).
func TestSuggestLimit(t *testing.T) {
	old := startMapped
	t.Cleanup(func() { startMapped = old })
	const low = 765056 << 10 // VmSize under ulimit -v 1000000
	for _, c := range []struct {
		name                string
		start, limit, short uint64
		want                uint64
	}{
		{"start unknown", 0, 1000000 << 10, 248 << 20, 1320000},
		{"small start, small figure", low, 900000 << 10, 30 << 20, 1000000},
		{"small start, figure past it", low, 1000000 << 10, 248 << 20, 1860000},
		{"full start", 1289340 << 10, 1400000 << 10, 373 << 20, 1850000},
	} {
		startMapped = c.start
		if got := SuggestLimit(c.limit, c.short); got != c.want {
			t.Errorf("%s: SuggestLimit(%d KiB, %d MiB) = %d, want %d", c.name, c.limit>>10, c.short>>20, got, c.want)
		}
	}
}
