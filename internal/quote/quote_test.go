package quote

import (
	"os/exec"
	"testing"
)

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

// TestShell: each word Shell writes, given to sh, is the string it was
// made from, whatever it holds; a plain path is left as it is.
func TestShell(t *testing.T) {
	for _, s := range []string{"/tmp/a/b.setup.9cdb.123", "", "my cache", "$HOME", "it's", "a'b'c", "`id`", "a\\b", "tab\there", "new\nline", "*", "~/x", "é", "-x", "a;b", "a&b|c>d<e", "!x", "#x"} {
		got, err := exec.Command("sh", "-c", `printf %s `+Shell(s)).Output()
		if err != nil {
			t.Fatalf("sh -c printf %%s %s: %v", Shell(s), err)
		}
		if string(got) != s {
			t.Errorf("Shell(%q) = %s, which sh reads as %q", s, Shell(s), got)
		}
	}
	if got := Shell("/tmp/gpusim/programs/f99d.setup.9cdb.123"); got != "/tmp/gpusim/programs/f99d.setup.9cdb.123" {
		t.Errorf("a plain path written %s", got)
	}
	if got := ShellWords([]string{"/a b", "/c"}); got != "'/a b' /c" {
		t.Errorf("ShellWords = %s", got)
	}
}
