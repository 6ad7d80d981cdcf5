package quote

import "testing"

// TestPrintable: a string of printable UTF-8 is itself, spaces inside it
// and all; one with a control or format character (a right-to-left
// override), a space other than ASCII's or a byte that is not UTF-8 is
// quoted, on one line of valid UTF-8; and so is the empty string, which
// otherwise printed nothing, and one that begins or ends with a space,
// which printed as if it had none.
func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"pthread-skylake (pocl)", "pthread-skylake (pocl)"},
		{"café", "café"},
		{"", `""`},
		{"gpu\nplatform: fake", `"gpu\nplatform: fake"`},
		{"v\x1b[31m", `"v\x1b[31m"`},
		{"caf\xe9", `"caf\xe9"`},
		{"a\tb", `"a\tb"`},
		{"a b.npy", "a b.npy"},
		{" .npy", `" .npy"`},
		{"a.npy ", `"a.npy "`},
		{"out /a.npy", "out /a.npy"},
		{" ", `" "`},
		{"x\u202evsc.npy", `"x\u202evsc.npy"`},
		{"a\u00a0b", `"a\u00a0b"`},
	} {
		if got := Printable(c.in); got != c.want {
			t.Errorf("Printable(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
