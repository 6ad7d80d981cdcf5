package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsNameTarget: errors about the temporary file name the file the
// caller asked for. A rename over a folder made during the run said
// "rename ./.f.csv.tmp-1a2b3c4d f.csv: file exists", and a full disk "write
// ./.doc.md.tmp-...: no space left on device", naming a file the user never
// named and that is removed by then.
func TestErrorsNameTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.csv")
	check := func(what string, err error) {
		t.Helper()
		var pe *fs.PathError
		if err == nil || !errors.As(err, &pe) || pe.Path != path || strings.Contains(err.Error(), ".tmp-") {
			t.Errorf("%s: %v, want an error naming %s and no temporary file", what, err, path)
		}
	}

	// The rename: a folder, not empty, made at path after Create.
	a, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(path, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	check("commit over a folder", a.Commit())
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}

	// The flush and the writes past the buffer: the temporary file's
	// descriptor closed under it.
	a, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	a.f.Close()
	_, err = a.Write(make([]byte, 2<<20))
	check("write", err)
	check("close", a.Close())
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d files left in the folder, want 0", len(ents))
	}
}
