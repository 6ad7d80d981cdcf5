package bench

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadAverage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loadavg")
	if err := os.WriteFile(path, []byte("0.92 1.95 1.83 2/345 6789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := LoadAverage(path), "0.92, 1.95, 1.83"; got != want {
		t.Errorf("LoadAverage = %q, want %q", got, want)
	}
	if got := LoadAverage(filepath.Join(t.TempDir(), "none")); got != "" {
		t.Errorf("LoadAverage of a missing file = %q, want \"\"", got)
	}
}
