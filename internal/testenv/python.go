package testenv

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Python returns a python3 that can import numpy, or "" when there is none.
// /usr/bin/python3 is tried first because a python3 earlier on PATH (pyenv,
// a virtualenv) often lacks numpy.
var Python = sync.OnceValue(func() string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import numpy").Run() == nil {
			return path
		}
	}
	return ""
})

// CI reports whether the tests run in CI (CI=true), where a missing tool is a
// failure rather than a reason to skip: .ci/run installs every one.
func CI() bool { return os.Getenv("CI") == "true" }

// NeedNumpy returns Python(), or skips t when there is none; under CI it fails.
func NeedNumpy(t testing.TB) string {
	t.Helper()
	py := Python()
	if py == "" {
		if CI() {
			t.Fatal("CI=true but no python3 with numpy was found (.ci/run installs python3-numpy)")
		}
		t.Skip("no python3 with numpy")
	}
	return py
}
