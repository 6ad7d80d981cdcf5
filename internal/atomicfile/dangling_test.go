package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDanglingLinkOnPath: the first link to nothing on a path is named with
// where it points, and a chain of links is followed to the name that is not
// there: dl -> dl2 -> nowhere read "\"dl\" is a link to \"dl2\", which is
// not there", of a dl2 that is there (a link). A loop, a path through a
// folder, and a path before which a name is missing say nothing.
func TestDanglingLinkOnPath(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, l := range [][2]string{
		{"nowhere", "dl"}, {"dl2", "chain"}, {"nowhere", "dl2"}, {"sub/dl3", "nested"},
		{"loop2", "loop1"}, {"loop1", "loop2"},
	} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "gone"), filepath.Join("sub", "dl3")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"dl/x.npy", `"dl" is a link to "nowhere", which is not there`},
		{"dl", `"dl" is a link to "nowhere", which is not there`},
		{"chain/x.npy", `"chain" is a link to "dl2", a link to "nowhere", which is not there`},
		{"nested/x", `"nested" is a link to "sub/dl3", a link to "../gone", which is not there`},
		{"sub/x.npy", ""},
		{"missing/dl/x", ""},
		{"loop1/x", ""},
	} {
		if got := DanglingLinkOnPath(c.path); got != c.want {
			t.Errorf("DanglingLinkOnPath(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

// TestTargetRelative: a link in the working folder is followed from it as
// written, with no "./" put before its target: d.npy -> dl/t.npy, dl a
// link to nothing, gave "./dl/t.npy", and the refusal of --out d.npy named
// the folder "./dl".
func TestTargetRelative(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, l := range [][2]string{{"nowhere", "dl"}, {"dl/t.npy", "d.npy"}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	if got := Target("d.npy"); got != "dl/t.npy" {
		t.Errorf("Target(d.npy) = %q, want %q", got, "dl/t.npy")
	}
	if got, want := DanglingLinkOnPath(Target("d.npy")), `"dl" is a link to "nowhere", which is not there`; got != want {
		t.Errorf("DanglingLinkOnPath(Target(d.npy)) = %q, want %q", got, want)
	}
}
