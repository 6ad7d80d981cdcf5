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

// CheckName refuses p, an output file's or folder's name, where it holds a
// control or format character anywhere in its path (checkControl) or a
// name in it, the file's or a folder's, begins or ends with whitespace
// (checkSpace). The error is a *sim.ParamError naming p's flag, the name
// quoted as Go quotes it (as every flag's error quotes a name, and
// quote.Printable would) and the character at fault; an empty name is not
// checked.
func CheckName(p Path) error {
	if err := checkControl(p); err != nil {
		return err
	}
	return checkSpace(p)
}

// validChars is what checkControl takes.
const validChars = "valid: a name without control or format characters such as newlines, tabs, escapes and right-to-left overrides"

// checkControl refuses p where it holds a control character
// (unicode.IsControl: a newline, a tab, an escape, DEL), a format
// character (Unicode's Cf: the bidirectional overrides and isolates
// U+202A..U+202E and U+2066..U+2069, the marks U+200E and U+200F, the
// zero-width space U+200B, a byte-order mark) or a line or paragraph
// separator (U+2028, U+2029). The zero-width non-joiner and joiner
// (U+200C, U+200D) are taken: Persian and the Indic scripts write words
// with them, and emoji sequences (a woman and a laptop, joined) are made
// of them; where printed, such a name is quoted (quote.Printable). Such a name was written as given: its
// newline split the report's line and the logs' that name it, an escape
// reached the terminal, and a right-to-left override showed a name other
// than the file's: "x\u202evsc.npy", an NPY file, reads xypn.csv.
func checkControl(p Path) error {
	i := strings.IndexFunc(p.Path, func(r rune) bool {
		return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) && r != '\u200c' && r != '\u200d'
	})
	if i < 0 {
		return nil
	}
	r := []rune(p.Path[i:])[0]
	what := "a control character"
	switch {
	case unicode.Is(unicode.Cf, r):
		what = "a format character"
	case r == '\u2028':
		what = "a line separator"
	case r == '\u2029':
		what = "a paragraph separator"
	}
	return &sim.ParamError{Flag: p.Flag, Msg: fmt.Sprintf("%q has %s, %s (%s)", p.Path, what, strconv.QuoteRune(r), validChars)}
}

// checkSpace refuses p where a name in its path, the file's or a folder's,
// begins or ends with whitespace (unicode.IsSpace: a space, a no-break
// space): --out ' .npy' wrote a file " .npy" that the report and a listing
// showed as ".npy", and --out "$DIR /f.npy" wrote into a folder "out "
// where "out" was meant. Spaces inside a name ("a b.npy") are taken.
func checkSpace(p Path) error {
	for _, name := range strings.FieldsFunc(p.Path, func(r rune) bool { return r == '/' || r == filepath.Separator }) {
		edge, r := "begins", []rune(name)[0]
		if !unicode.IsSpace(r) {
			edge, r = "ends", []rune(name)[len([]rune(name))-1]
		}
		if !unicode.IsSpace(r) {
			continue
		}
		where := fmt.Sprintf("%q", p.Path)
		if name != p.Path {
			where = fmt.Sprintf("%q: %q", p.Path, name)
		}
		return &sim.ParamError{Flag: p.Flag, Msg: fmt.Sprintf("%s %s with whitespace, %s (valid: file and folder names that neither begin nor end with whitespace)", where, edge, strconv.QuoteRune(r))}
	}
	return nil
}
