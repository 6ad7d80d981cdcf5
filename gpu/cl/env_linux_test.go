package cl_test

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestPoclFullCacheDir: a kernel cache on a full file system takes a new
// file but not its contents, so pocl's builds fail with an empty log, which
// read as the compiler rejecting the kernel; PoclCacheProblem (which
// explains a failed build) must say the cache cannot be written. The child
// stands a file size limit of 1 MiB in for the full disk (Go ignores
// SIGXFSZ, so a write past it fails with EFBIG).
func TestPoclFullCacheDir(t *testing.T) {
	if os.Getenv(envChild) == "fsize" {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}); err != nil {
			t.Fatal(err)
		}
		err := cl.PoclCacheProblem()
		dir := os.Getenv("POCL_CACHE_DIR")
		if !errors.Is(err, cl.ErrEnvironment) || !strings.Contains(err.Error(), "pocl cannot write its kernel cache "+dir) ||
			!strings.Contains(err.Error(), "cannot write 8 MiB in "+dir+": file too large") || !strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR") {
			t.Fatalf("got %v (hint %q)", err, cl.HintFor(err))
		}
		t.Log(err)
		return
	}
	poclLibrary(t)
	t.Log(runChild(t, "TestPoclFullCacheDir", "fsize", "POCL_CACHE_DIR="+t.TempDir()))
}
