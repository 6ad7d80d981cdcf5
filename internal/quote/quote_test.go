package quote

import "testing"

// TestPrintable: a string of printable UTF-8 is itself; one with a control
// character or a byte that is not UTF-8 is quoted, on one line of valid
// UTF-8; and so is the empty string, which otherwise printed nothing.
func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pthread-skylake (pocl)", "pthread-skylake (pocl)"},
		{"café", "café"},
		{"", `""`},
		{"gpu\nplatform: fake", `"gpu\nplatform: fake"`},
		{"v\x1b[31m", `"v\x1b[31m"`},
		{"caf\xe9", `"caf\xe9"`},
		{"a\tb", `"a\tb"`},
	} {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
