package sim

import (
	"math"
	"testing"
)

// A []float32 of MaxKeptFinals lanes must be one Go can make where int is
// 32 bits: make panics ("makeslice: len out of range") for a slice whose
// bytes pass the address space. This fails to compile where it is not
// (GOARCH=386 go vet ./sim): uint64 takes no negative constant.
const _ = uint64(math.MaxInt/4 + 1 - MaxKeptFinals)

// TestMaxKeptFinals checks that --out's limit is the whole 2^32 lanes where
// int is 64 bits, and that its finals' bytes fit in int everywhere.
func TestMaxKeptFinals(t *testing.T) {
	if got := uint64(MaxKeptFinals); 4*got-1 > math.MaxInt {
		t.Errorf("MaxKeptFinals = %d: its %d bytes pass int's range", got, 4*got)
	}
	if math.MaxInt > math.MaxInt32 && MaxKeptFinals != 1<<32 {
		t.Errorf("MaxKeptFinals = %d with 64-bit int, want 2^32", MaxKeptFinals)
	}
}
