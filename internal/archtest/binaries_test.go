package archtest

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// executableMagic are the first bytes of the executables a build writes:
// ELF (Linux, the BSDs), PE (Windows: MZ) and Mach-O (macOS, 32 and 64
// bits, either byte order, and universal).
var executableMagic = [][]byte{
	[]byte("\x7fELF"), []byte("MZ"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
}

// TestNoTrackedExecutables: no file git tracks is a built program. A
// cross build's gpusim.exe (21 MB, PE32+) was committed with 9d7a298 and
// went into every clone; builds go to bin/ (make build) or are ignored.
// Skipped outside a git checkout (a module download has no .git).
func TestNoTrackedExecutables(t *testing.T) {
	dir := root(t)
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		t.Skip("not a git checkout")
	}
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	for _, name := range bytes.Split(bytes.TrimRight(out, "\x00"), []byte{0}) {
		head, err := readHead(filepath.Join(dir, string(name)), 4)
		if err != nil {
			continue // deleted in the work tree, or a submodule
		}
		for _, m := range executableMagic {
			if bytes.HasPrefix(head, m) {
				t.Errorf("%s is tracked and is an executable (starts %q): remove it and ignore it", name, head)
				break
			}
		}
	}
}

// readHead reads up to n bytes from the start of the regular file path.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, os.ErrInvalid
	}
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:k], nil
}
