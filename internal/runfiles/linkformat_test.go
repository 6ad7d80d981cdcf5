package runfiles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// TestCheckLinkFormat: an output whose name is a symbolic link to a file
// whose extension names another format is refused, naming both names and
// formats (--out link.npy to real.csv wrote NPY into real.csv); a link to
// a file of the same format, of an extension gpusim does not write, or of
// none is followed.
func TestCheckLinkFormat(t *testing.T) {
	dir := t.TempDir()
	link := func(name, to string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Symlink(to, p); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
		return p
	}
	if err := os.WriteFile(filepath.Join(dir, "real.csv"), []byte("old\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flag, name, to string
		want           []string // what the error says; none: no error
	}{
		{"out", "a.npy", "real.csv", []string{`"` + filepath.Join(dir, "a.npy") + `" is a symbolic link to "` + filepath.Join(dir, "real.csv") + `"`, "NPY data", "extension .csv says CSV", "name a .npy file"}},
		{"paths-out", "b.f32", "real.csv", []string{"F32 data", "says CSV"}},
		{"plot", "c.png", "chart.svg", []string{"PNG data", "extension .svg says SVG"}},
		{"save", "d.json", "part.html", []string{"JSON data", "says HTML"}},
		{"html", "e.htm", "page.NPY", []string{"HTML data", "extension .NPY says NPY"}},
		{"daily-out", "f.csv", "chain.json", []string{"CSV data", "says JSON"}}, // through chain.json to real.png below
		{"out", "g.CSV", "real.csv", nil},                                       // one format in either case
		{"html", "h.html", "page.htm", nil},                                     // .htm is HTML too
		{"out", "i.npy", "data.bin", nil},                                       // not a format gpusim writes
		{"out", "j.npy", "noext", nil},
		{"out", "k.npy", "missing.npy", nil}, // a dangling link, written through
		{"out", "l.npy", "gone.csv", []string{"NPY data", "says CSV"}},
	} {
		p := link(c.name, c.to)
		err := CheckLinkFormat(Path{Flag: c.flag, Path: p})
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("--%s %s -> %s: %v", c.flag, c.name, c.to, err)
			}
			continue
		}
		var pe *sim.ParamError
		if !errors.As(err, &pe) || pe.Flag != c.flag {
			t.Errorf("--%s %s -> %s: got %v, want a *sim.ParamError of --%s", c.flag, c.name, c.to, err, c.flag)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(pe.Msg, w) {
				t.Errorf("--%s %s -> %s: %q does not say %q", c.flag, c.name, c.to, pe.Msg, w)
			}
		}
	}
	// The last link of a chain decides: f.csv -> chain.json -> real.png.
	link("chain.json", "real.png")
	if err := CheckLinkFormat(Path{Flag: "daily-out", Path: filepath.Join(dir, "f.csv")}); err == nil || !strings.Contains(err.Error(), "says PNG") {
		t.Errorf("--daily-out f.csv -> chain.json -> real.png: %v", err)
	}
	// A name that is no link, and no name, are not refused.
	for _, p := range []string{filepath.Join(dir, "real.csv"), filepath.Join(dir, "new.npy"), ""} {
		if err := CheckLinkFormat(Path{Flag: "out", Path: p}); err != nil {
			t.Errorf("--out %q: %v", p, err)
		}
	}
}
