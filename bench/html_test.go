package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestWriteHTML writes the sample report's page: it holds the machine, the
// method, every table and every chart inline, refers to nothing outside
// itself, and loads in Chromium without console errors and with charts
// that are not blank.
func TestWriteHTML(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	cs, err := charts(r)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(s, "<svg"); n != len(cs) {
		t.Errorf("%d inline charts, want %d", n, len(cs))
	}
	want := []string{"<h2>Method</h2>", "CPU: ", "Amdahl", "<caption>Engines</caption>", "<caption>Scaling</caption>"}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	for _, bad := range []string{"<script", "<link", "src=", "href=", "url("} {
		if strings.Contains(s, bad) {
			t.Errorf("page has %q: it must not request anything", bad)
		}
	}
	if testing.Short() {
		return
	}
	path := filepath.Join(t.TempDir(), "bench.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.CheckPage(t, path, 0)
}
