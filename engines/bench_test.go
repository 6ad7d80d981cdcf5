package engines

import (
	"slices"
	"testing"
)

// TestRepeats: an engine named twice is noted however it is spelled: an
// entry and its one device's spec (opencl,opencl:0) ran the device once
// without the note that serial,serial gets.
func TestRepeats(t *testing.T) {
	b := Benchable{Entries: []string{"serial", "simd", "opencl"}, Specs: []Spec{
		{Name: "serial", Entry: "serial"}, {Name: "simd", Entry: "simd"},
		{Name: "opencl:0", Entry: "opencl"}, {Name: "opencl:1", Entry: "opencl"},
	}}
	for _, c := range []struct {
		list string
		want []string
	}{
		{"serial,simd,opencl", nil},
		{"opencl:0,opencl:1", nil},
		{"serial,serial", []string{"serial"}},
		{" serial, simd ,serial", []string{"serial"}},
		{"opencl,opencl:0", []string{"opencl:0 (as opencl and opencl:0)"}},
		{"opencl:1,opencl", []string{"opencl:1 (as opencl:1 and opencl)"}},
		{"opencl,opencl", []string{"opencl"}},
		{"opencl,opencl:0,opencl:0", []string{"opencl:0 (as opencl, opencl:0 and opencl:0)"}},
		{"simd,opencl:1,serial,opencl,simd", []string{"simd", "opencl:1 (as opencl:1 and opencl)"}},
		{"nosuch,nosuch", nil}, // Select's error
	} {
		if got := b.Repeats(c.list); !slices.Equal(got, c.want) {
			t.Errorf("Repeats(%q) = %q, want %q", c.list, got, c.want)
		}
	}
}
