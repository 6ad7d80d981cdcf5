package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/testenv"
)

// TestBenchCPULoadsNoOpenCL: bench on CPU engines alone never loads OpenCL
// and its machine lists no device: the registry listed every engine that
// runs here, OpenCL's devices with them, before --engines chose, and the
// report's device line listed pocl's CPU device under serial and simd. In a
// child process, since another test may have loaded OpenCL.
func TestBenchCPULoadsNoOpenCL(t *testing.T) {
	if os.Getenv("GPUSIM_BENCH_TEST_CHILD") == "noload" {
		code, stdout, stderr := run(context.Background(), "bench", "--engines", "serial,simd", "--lanes", "1000", "--steps", "4",
			"--reps", "1", "--warmup", "0", "--no-scaling", "--no-sweep", "--baseline", "none", "--format", "json", "-q")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if cl.Attempted() {
			t.Errorf("bench --engines serial,simd loaded OpenCL")
		}
		var rep struct {
			Machine struct {
				Devices []string `json:"devices"`
				Note    string   `json:"devices_note"`
			} `json:"machine"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Machine.Devices) > 0 || !strings.Contains(rep.Machine.Note, "no device engine") {
			t.Errorf("machine's devices %q (%q), want none: no device engine ran", rep.Machine.Devices, rep.Machine.Note)
		}
		return
	}
	testenv.RunTest(t, "TestBenchCPULoadsNoOpenCL", "GPUSIM_BENCH_TEST_CHILD=noload", "GPUSIM_CACHE_DIR="+t.TempDir())
}
