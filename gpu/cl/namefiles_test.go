package cl

import (
	"slices"
	"testing"
)

// TestNameFiles: the files behind a driver's name in gpusim's notes, so
// that a record of the driver (engines' mark of a driver that did not
// answer) stamps files, not the name: a name through the ICD loader was
// stamped as one missing file, which no new version changed.
func TestNameFiles(t *testing.T) {
	for _, c := range []struct {
		name string
		want []string
	}{
		{"/usr/lib/libpocl.so.2", []string{"/usr/lib/libpocl.so.2"}},
		{vendorPath("libpocl.so.2.10.0", "/usr/lib/libpocl.so.2.10.0"), []string{"/usr/lib/libpocl.so.2.10.0"}},
		{throughLoader(vendorPath("libpocl.so.2.10.0", "/usr/lib/libpocl.so.2.10.0"), "libOpenCL.so.1"), []string{"/usr/lib/libpocl.so.2.10.0", "libOpenCL.so.1"}},
		{throughLoader("/opt/nv/libnvidia-opencl.so.1", "/usr/lib/libOpenCL.so.1"), []string{"/opt/nv/libnvidia-opencl.so.1", "/usr/lib/libOpenCL.so.1"}},
	} {
		if got := NameFiles(c.name); !slices.Equal(got, c.want) {
			t.Errorf("NameFiles(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
