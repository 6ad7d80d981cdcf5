package engines

import (
	"context"
	"os"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// TestCPURunLoadsNoOpenCL: a job auto gives to simd, run and followed by
// the engines' notes (as the CLI prints them after every run), never loads
// OpenCL: the opencl entry's notes loaded it to ask for the loader's
// remarks, adding some 20 ms (pocl's loading) to every CPU run. In a child
// process, since another test may have loaded it.
func TestCPURunLoadsNoOpenCL(t *testing.T) {
	if os.Getenv("GPUSIM_ENGINES_TEST_CHILD") == "noload" {
		p := sim.Default()
		p.Lanes, p.Steps = 1000, 10
		e, _, err := Auto(context.Background(), Options{Params: p})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close(e)
		if _, err := e.Run(context.Background(), &sim.Job{Params: p}); err != nil {
			t.Fatal(err)
		}
		Notes()
		if cl.Attempted() {
			t.Fatalf("a %s run of %d lanes loaded OpenCL", e.Name(), p.Lanes)
		}
		return
	}
	testenv.RunTest(t, "TestCPURunLoadsNoOpenCL", "GPUSIM_ENGINES_TEST_CHILD=noload", EnvCacheDir+"="+t.TempDir())
}
