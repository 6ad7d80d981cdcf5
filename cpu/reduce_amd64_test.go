//go:build goexperiment.simd && amd64

package cpu

import (
	"testing"
	"unsafe"
)

// TestReduceStateLayout: reduce_amd64.s reads reduceState by the offsets
// its ST_ constants give.
func TestReduceStateLayout(t *testing.T) {
	var st reduceState
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"lanes", unsafe.Offsetof(st.lanes), 0},
		{"digest", unsafe.Offsetof(st.digest), 64},
		{"minv", unsafe.Offsetof(st.minv), 128},
		{"maxv", unsafe.Offsetof(st.maxv), 192},
		{"sums", unsafe.Offsetof(st.sums), 256},
		{"shift", unsafe.Offsetof(st.shift), 272},
		{"lo", unsafe.Offsetof(st.lo), 280},
		{"scale", unsafe.Offsetof(st.scale), 284},
		{"top", unsafe.Offsetof(st.top), 288},
		{"overflow", unsafe.Offsetof(st.overflow), 292},
	} {
		if f.got != f.want {
			t.Errorf("reduceState.%s at offset %d, reduce_amd64.s reads it at %d", f.name, f.got, f.want)
		}
	}
}
