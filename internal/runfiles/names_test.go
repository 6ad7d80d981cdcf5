package runfiles

import (
	"errors"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// TestCheckStemControl: a name that is only an extension, in any folder and any
// case, and a name with a control character anywhere in its path are
// refused for their flag; a name with a stem (hidden or not), "." and "..",
// spaces, other Unicode and bytes that are not UTF-8 are not.
func TestCheckStemControl(t *testing.T) {
	for _, c := range []struct {
		path, msg string
	}{
		{".npy", `".npy" is only an extension: the file has no name (valid: NAME.npy)`},
		{"out/.CSV", `"out/.CSV" is only an extension: the file has no name (valid: NAME.CSV)`},
		{"/tmp/.json", `"/tmp/.json" is only an extension: the file has no name (valid: NAME.json)`},
		{".x", `".x" is only an extension: the file has no name (valid: NAME.x)`},
		{"a\nb.npy", `"a\nb.npy" has a control character, '\n' (valid: a name without control characters such as newlines, tabs and escapes)`},
		{"d\r/f.npy", `"d\r/f.npy" has a control character, '\r' (valid: a name without control characters such as newlines, tabs and escapes)`},
		{"\x7f.npy", `"\x7f.npy" has a control character, '\x7f' (valid: a name without control characters such as newlines, tabs and escapes)`},
		{"a\u009bb.npy", `"a\u009bb.npy" has a control character, '\u009b' (valid: a name without control characters such as newlines, tabs and escapes)`},
		{"\x00.npy", `"\x00.npy" has a control character, '\x00' (valid: a name without control characters such as newlines, tabs and escapes)`},
	} {
		err := CheckControl(Path{Flag: "out", Path: c.path})
		if err == nil {
			err = CheckStem(Path{Flag: "out", Path: c.path})
		}
		var pe *sim.ParamError
		if !errors.As(err, &pe) || pe.Flag != "out" || pe.Msg != c.msg {
			t.Errorf("%q: %v, want --out: %s", c.path, err, c.msg)
		}
	}
	for _, path := range []string{"", "f.npy", ".x.npy", "..npy", "out/.x.csv", ".", "..", "dir/.", "a b.npy", "température.csv", "\xff\xfe.npy", "f", "f."} {
		if err := CheckControl(Path{Flag: "out", Path: path}); err != nil {
			t.Errorf("CheckControl(%q) = %v, want nil", path, err)
		}
		if err := CheckStem(Path{Flag: "out", Path: path}); err != nil {
			t.Errorf("CheckStem(%q) = %v, want nil", path, err)
		}
	}
}
