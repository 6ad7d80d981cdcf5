package cl

import (
	"slices"
	"strconv"
	"testing"
)

// TestNameFiles: the files behind a driver's name in gpusim's notes, so
// that a record of the driver (engines' mark of a driver that did not
// answer) stamps files, not the name: a name through the ICD loader was
// stamped as one missing file, which no new version changed. The files
// are those the name was made of, not the name split back at its last
// " (": a path holding " (" and ending with ")" (a folder "/opt/my
// (copy)", a file "libOpenCL.so.1 (copy)") was cut at the wrong place,
// and the mark stamped a file that is not there.
func TestNameFiles(t *testing.T) {
	const (
		pocl   = "/usr/lib/libpocl.so.2.10.0"
		copied = "/opt/my (copy)/libpocl.so.2.10.0"
		odd    = "/opt/x (y)/libnvidia-opencl.so.1 (copy)"
		loader = "/opt/my (copy)/libOpenCL.so.1"
	)
	for _, c := range []struct {
		name string
		want []string
	}{
		{"/usr/lib/libpocl.so.2", []string{"/usr/lib/libpocl.so.2"}},
		{"/home/u/libOpenCL.so.1 (copy)", []string{"/home/u/libOpenCL.so.1 (copy)"}},
		{"/opt/x (y)/libpocl.so (2)", []string{"/opt/x (y)/libpocl.so (2)"}},
		{vendorPath("libpocl.so.2.10.0", pocl), []string{pocl}},
		{vendorPath("/opt/my (copy)/libpocl.so", pocl), []string{pocl}},
		{vendorPath("libpocl.so.2", copied), []string{copied}},
		{vendorPath("/opt/x (y)/libnvidia-opencl.so", odd), []string{odd}},
		{throughLoader(vendorPath("libpocl.so.2.10.0", pocl), "libOpenCL.so.1"), []string{pocl, "libOpenCL.so.1"}},
		{throughLoader("/opt/nv/libnvidia-opencl.so.1", "/usr/lib/libOpenCL.so.1"), []string{"/opt/nv/libnvidia-opencl.so.1", "/usr/lib/libOpenCL.so.1"}},
		{throughLoader(vendorPath("/opt/my (copy)/libpocl.so", pocl), loader), []string{pocl, loader}},
		{throughLoader(odd, loader), []string{odd, loader}},
		{throughLoader(odd, "/opt/l (through the ICD loader x)/libOpenCL.so.1"), []string{odd, "/opt/l (through the ICD loader x)/libOpenCL.so.1"}},
	} {
		if got := NameFiles(c.name); !slices.Equal(got, c.want) {
			t.Errorf("NameFiles(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestReportNameFiles: a driver's name that a probe's child made
// (vendorPath's, in its process) and reported is split as the child made
// it, from its report's "file" line, where the parent, which read it as
// text, cut it at its last " (".
func TestReportNameFiles(t *testing.T) {
	const (
		file   = "/usr/lib/libpocl.so.2.10.0 (copy)"
		loader = "/opt/my (copy)/libOpenCL.so.1"
	)
	for i, written := range []string{"libpocl.so.2", "/opt/x (y)/libpocl.so"} {
		// A name this process has not made: the child's.
		name := file + " (" + written + strconv.Itoa(i) + ")"
		report := "load " + loader + "\nfile " + strconv.Quote(name) + " " + strconv.Quote(file) + "\nvia " + name + "\n"
		var d reportDriver
		for _, line := range []string{"load " + loader, "file " + strconv.Quote(name) + " " + strconv.Quote(file), "via " + name} {
			d.line(line)
		}
		if got, want := NameFiles(d.lib), []string{file, loader}; !slices.Equal(got, want) {
			t.Errorf("report %q: driver %q, NameFiles %q, want %q", report, d.lib, got, want)
		}
	}
}
