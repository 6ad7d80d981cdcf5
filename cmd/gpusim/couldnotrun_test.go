package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCouldNotRunExit2: where the environment keeps the device engine from
// running (no OpenCL library, an ICD loader that finds no driver, an empty
// POCL_CACHE_DIR), gpusim devices, selftest, run --engine opencl and
// bench --engines opencl:0 exit 2, "could not run", as bad input, with the
// error and a hint; their JSON documents parse and carry both. devices,
// run and bench exited 1, a device's failure, and selftest did too but for
// a limit or a pocl cache; exit 1 is a device that computed wrongly.
func TestCouldNotRunExit2(t *testing.T) {
	empty := t.TempDir() // a folder of no .icd files
	for _, env := range [][]string{
		{"GPUSIM_OPENCL_LIBRARY=/nonexistent/libOpenCL.so.1"},
		{"GPUSIM_OPENCL_LIBRARY=", "OCL_ICD_VENDORS=" + empty},
		{"POCL_CACHE_DIR="},
	} {
		for _, args := range [][]string{
			{"devices"},
			{"devices", "--format", "json"},
			{"selftest"},
			{"selftest", "--format", "json"},
			{"run", "--engine", "opencl", "--lanes", "10"},
			{"run", "--device", "0", "--lanes", "10"},
			{"bench", "--engines", "serial,opencl:0", "--lanes", "100", "--steps", "4", "--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none"},
		} {
			cmd := exec.Command("gpusim", args...)
			cmd.Env = append(os.Environ(), append([]string{"GPUSIM_CACHE_DIR=" + t.TempDir()}, env...)...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if code != exitUsage || !strings.HasPrefix(stderr.String(), "gpusim: error: ") || !strings.Contains(stderr.String(), "\ngpusim: hint: ") {
				t.Errorf("%v %v: exit %d, stderr %q; want exit 2, the error and a hint", env, args, code, stderr.String())
			}
			if args[len(args)-1] != "json" {
				continue
			}
			var doc struct{ Error, Hint string }
			if err := json.Unmarshal([]byte(stdout.String()), &doc); err != nil || doc.Error == "" || doc.Hint == "" {
				t.Errorf("%v %v: JSON %q (%v): want a document with an error and a hint", env, args, stdout.String(), err)
			}
		}
	}
}

// TestCouldNotRunDocumented: README's --engines row gives the exit status
// TestCouldNotRunExit2 checks for an engine named in --engines that could
// not run here: it said exit 1, the status before bench exited 2 there.
func TestCouldNotRunDocumented(t *testing.T) {
	readme := readmeText(t)
	start := strings.Index(readme, "\n| `--engines LIST` |")
	if start < 0 {
		t.Fatal("README has no --engines row")
	}
	row, _, _ := strings.Cut(readme[start+1:], "\n")
	m := regexp.MustCompile("one named in the list that cannot start, or a device of it such as `opencl:0`, is an error that says why, with its hint \\(exit (\\d+)").FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("README's --engines row does not say how bench exits for an engine that cannot start: %q", row)
	}
	if m[1] != strconv.Itoa(exitUsage) {
		t.Errorf("README's --engines row: an engine that cannot start exits %s; bench exits %d where it could not run here (TestCouldNotRunExit2)", m[1], exitUsage)
	}
}
