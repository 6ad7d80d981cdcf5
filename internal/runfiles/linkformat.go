package runfiles

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/sim"
)

// formatNames are the formats gpusim's output files take, by extension
// (lower case): the per-lane arrays' (outfile), the charts' (plots), the
// part file's and the HTML page's.
func formatNames() map[string]string {
	names := map[string]string{".json": "JSON", ".html": "HTML", ".htm": "HTML"}
	for _, f := range outfile.Formats {
		names[string(f)] = strings.ToUpper(strings.TrimPrefix(string(f), "."))
	}
	for _, f := range plots.Formats {
		names[f] = strings.ToUpper(strings.TrimPrefix(f, "."))
	}
	return names
}

// CheckLinkFormat refuses p, whose format its own name's extension chose
// (every output flag's does), where writing it goes through symbolic
// links (atomicfile.Target) to a file whose extension names another format
// gpusim writes (formatNames): --out link.npy to real.csv wrote NPY into
// real.csv, a file whose name says CSV. A link to a file of the same
// format (.htm for .html, any case) or of an extension gpusim does not
// write (real.dat, none) is followed, as atomicfile.Create says. The error
// is a *sim.ParamError naming p's flag, both names and both formats.
func CheckLinkFormat(p Path) error {
	if p.Path == "" {
		return nil
	}
	names := formatNames()
	target := atomicfile.Target(p.Path)
	given, ok := names[strings.ToLower(filepath.Ext(p.Path))]
	if !ok {
		return nil // not a format's name: the flag's own check refuses it
	}
	ext := filepath.Ext(target)
	got, ok := names[strings.ToLower(ext)]
	if !ok || got == given {
		return nil
	}
	return &sim.ParamError{Flag: p.Flag, Msg: fmt.Sprintf("%q is a symbolic link to %q: %s data would be written into a file whose extension %s says %s (name a %s file, or a link to one)",
		p.Path, target, given, ext, got, strings.ToLower(filepath.Ext(p.Path)))}
}
