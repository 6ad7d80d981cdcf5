package runfiles

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/gpusim/gpusim/sim"
)

// CheckStem refuses p, an output file's name, where it is only an
// extension (".npy", "out/.csv"): --out .npy or --html .html wrote a hidden
// file of that name where the name was left out (an unset shell variable:
// --out "$NAME.npy"). A name with a stem is taken, hidden or not (".x.npy"),
// and so are "." and "..", folders which the flags' own checks refuse. The
// flags check it after their extension (a name ".txt" is refused for its
// extension first), so the valid form it gives, NAME and the extension, is
// one the flag takes. The error is a *sim.ParamError naming p's flag; an
// empty name is not checked.
func CheckStem(p Path) error {
	base := filepath.Base(p.Path)
	if ext := filepath.Ext(base); p.Path != "" && base == ext && base != "." {
		return &sim.ParamError{Flag: p.Flag, Msg: fmt.Sprintf("%q is only an extension: the file has no name (valid: NAME%s)", p.Path, ext)}
	}
	return nil
}

// CheckControl refuses p, an output file's or folder's name, where it holds
// a control character (unicode.IsControl: a newline, a tab, an escape, DEL):
// such a name was written as given, its newline splitting the report's line
// and the logs' that name it, and an escape reaching the terminal. The error
// is a *sim.ParamError naming p's flag, the name quoted as Go quotes it
// (as every flag's error quotes a name, and quote.Printable would) and the
// first such character.
func CheckControl(p Path) error {
	if i := strings.IndexFunc(p.Path, unicode.IsControl); i >= 0 {
		r := []rune(p.Path[i:])[0]
		return &sim.ParamError{Flag: p.Flag, Msg: fmt.Sprintf("%q has a control character, %s (valid: a name without control characters such as newlines, tabs and escapes)", p.Path, strconv.QuoteRune(r))}
	}
	return nil
}
