package sim

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps file formats, the file system and the environment out
// of sim: they belong to shard (part files), internal/atomicfile and the CLI.
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if imp == "os" || imp == "encoding/json" || imp == "regexp" || imp == "crypto" || strings.HasPrefix(imp, "crypto/") || strings.HasPrefix(imp, "os/") {
			t.Errorf("sim imports %s", imp)
		}
	}
}
