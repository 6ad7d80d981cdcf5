package engines

import (
	"regexp"
	"testing"
)

// TestDeviceMemoryText: gpusim devices writes a device's memory as run's
// memory messages write a size, in GB to three digits (docs/outputs.md):
// pocl's global memory read "22057 MiB", binary units beside run's "23.1
// GB are available". The JSON's bytes are unchanged.
func TestDeviceMemoryText(t *testing.T) {
	for n, want := range map[uint64]string{22057 << 20: "23.1 GB", 8192 << 20: "8.59 GB", 80 << 30: "85.9 GB", 128 << 20: "0.134 GB", 0: "0 GB"} {
		if got := memText(n); got != want {
			t.Errorf("memText(%d) = %q, want %q", n, got, want)
		}
	}
	_, ds, err := Devices()
	if err != nil || len(ds) == 0 {
		t.Skipf("no OpenCL device listed (%v)", err)
	}
	gb := regexp.MustCompile(`^[0-9.]+ GB$`)
	for _, d := range ds {
		for _, p := range d.Props {
			if p.Key != "global_mem_bytes" && p.Key != "max_alloc_bytes" {
				continue
			}
			if _, ok := p.Value.(uint64); !ok || !gb.MatchString(p.Text) {
				t.Errorf("device %d's %s: value %v (%T), text %q, want its bytes and N GB", d.Index, p.Key, p.Value, p.Value, p.Text)
			}
		}
	}
}
