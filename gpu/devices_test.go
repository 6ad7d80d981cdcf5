package gpu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestUnwritableHome: pocl with no writable kernel cache (HOME unwritable,
// as for user nobody, and no POCL_CACHE_DIR) reports no device. Devices
// must name that cause and the fix, not "no OpenCL device" with a hint to
// install a driver (issue 11, item 7). Even root cannot create a directory
// under a regular file, so HOME is one.
func TestUnwritableHome(t *testing.T) {
	if os.Getenv(childEnv) == "home" {
		os.Unsetenv("POCL_CACHE_DIR") // which TestMain set
		_, err := Devices()
		if !errors.Is(err, cl.ErrEnvironment) || errors.Is(err, ErrNoDevice) ||
			!strings.Contains(err.Error(), "pocl cannot write its kernel cache "+os.Getenv("HOME")) ||
			!strings.Contains(cl.HintFor(err), "POCL_CACHE_DIR") {
			t.Fatalf("Devices: %v (hint %q)", err, cl.HintFor(err))
		}
		fmt.Println("child-checked:", err)
		return
	}
	if _, err := Devices(); err != nil {
		cltest.Unavailable(t, err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := testCommand(t, "^TestUnwritableHome$")
	cmd.Env = append(cmd.Env, childEnv+"=home", "HOME="+file+"/home", "XDG_CACHE_HOME=")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !strings.Contains(string(out), "child-checked:") {
		t.Fatalf("%v\n%s", err, out)
	}
}
