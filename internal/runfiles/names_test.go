package runfiles

import (
	"errors"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// TestCheckStemName: a name that is only an extension, in any folder and
// any case, a name with a control or format character or a line separator
// anywhere in its path, and a file or folder name that begins or ends
// with whitespace are refused for their flag; a name with a stem (hidden
// or not), "." and "..", spaces inside a name, other Unicode (the
// zero-width non-joiner of a Persian word, the joiner of an emoji
// sequence) and bytes that are not UTF-8 are not.
func TestCheckStemName(t *testing.T) {
	const (
		chars  = "valid: a name without control or format characters such as newlines, tabs, escapes and right-to-left overrides"
		spaces = "valid: file and folder names that neither begin nor end with whitespace"
	)
	for _, c := range []struct {
		path, msg string
	}{
		{".npy", `".npy" is only an extension: the file has no name (valid: NAME.npy)`},
		{"out/.CSV", `"out/.CSV" is only an extension: the file has no name (valid: NAME.CSV)`},
		{"/tmp/.json", `"/tmp/.json" is only an extension: the file has no name (valid: NAME.json)`},
		{".x", `".x" is only an extension: the file has no name (valid: NAME.x)`},
		{"a\nb.npy", `"a\nb.npy" has a control character, '\n' (` + chars + `)`},
		{"d\r/f.npy", `"d\r/f.npy" has a control character, '\r' (` + chars + `)`},
		{"\x7f.npy", `"\x7f.npy" has a control character, '\x7f' (` + chars + `)`},
		{"a\u009bb.npy", `"a\u009bb.npy" has a control character, '\u009b' (` + chars + `)`},
		{"\x00.npy", `"\x00.npy" has a control character, '\x00' (` + chars + `)`},
		{"x\u202evsc.npy", `"x\u202evsc.npy" has a format character, '\u202e' (` + chars + `)`},
		{"d\u2067/f.npy", `"d\u2067/f.npy" has a format character, '\u2067' (` + chars + `)`},
		{"\u200ff.npy", `"\u200ff.npy" has a format character, '\u200f' (` + chars + `)`},
		{"a\u200bb.npy", `"a\u200bb.npy" has a format character, '\u200b' (` + chars + `)`},
		{"\ufefff.npy", `"\ufefff.npy" has a format character, '\ufeff' (` + chars + `)`},
		{"a\u2028b.npy", `"a\u2028b.npy" has a line separator, '\u2028' (` + chars + `)`},
		{"a\u2029b.npy", `"a\u2029b.npy" has a paragraph separator, '\u2029' (` + chars + `)`},
		{" .npy", `" .npy" begins with whitespace, ' ' (` + spaces + `)`},
		{"a.npy ", `"a.npy " ends with whitespace, ' ' (` + spaces + `)`},
		{"out/ f.npy", `"out/ f.npy": " f.npy" begins with whitespace, ' ' (` + spaces + `)`},
		{"out /f.npy", `"out /f.npy": "out " ends with whitespace, ' ' (` + spaces + `)`},
		{"/tmp/ out/f.npy", `"/tmp/ out/f.npy": " out" begins with whitespace, ' ' (` + spaces + `)`},
		{"charts\u00a0", `"charts\u00a0" ends with whitespace, '\u00a0' (` + spaces + `)`},
		{"\u3000f.npy", `"\u3000f.npy" begins with whitespace, '\u3000' (` + spaces + `)`},
		{" ", `" " begins with whitespace, ' ' (` + spaces + `)`},
	} {
		err := CheckName(Path{Flag: "out", Path: c.path})
		if err == nil {
			err = CheckStem(Path{Flag: "out", Path: c.path})
		}
		var pe *sim.ParamError
		if !errors.As(err, &pe) || pe.Flag != "out" || pe.Msg != c.msg {
			t.Errorf("%q: %v, want --out: %s", c.path, err, c.msg)
		}
	}
	for _, path := range []string{"", "f.npy", ".x.npy", "..npy", "out/.x.csv", ".", "..", "dir/.", "a b.npy", "a\u00a0b.npy", "dir/a b/c d.npy", "out/", "/tmp//f.npy", "température.csv", "\U0001F600.npy", "\U0001F469\u200d\U0001F4BB.npy", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.csv", "\xff\xfe.npy", "f", "f."} {
		if err := CheckName(Path{Flag: "out", Path: path}); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", path, err)
		}
		if err := CheckStem(Path{Flag: "out", Path: path}); err != nil {
			t.Errorf("CheckStem(%q) = %v, want nil", path, err)
		}
	}
}
