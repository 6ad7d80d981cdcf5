package engines

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// TestCalibrationProcessesAtOnce: runs that start at once with no
// calibration in the cache folder they share (a Slurm array's tasks on one
// node) calibrate in one of them, the others waiting for its calibration
// and choosing from it; each measured, eight calibrations at once on the
// same cores, each slowed by the others' probes.
func TestCalibrationProcessesAtOnce(t *testing.T) {
	const procs = 8
	if testenv.Together(t) {
		opens, lists := 0, 0
		// A device slower than simd, which keeps the job.
		withDevices(t, fakeDevice(timedEngine{fixed: 0.001, perLaneStep: 2e-8}, &opens, &lists))
		p := sim.Default()
		p.Lanes, p.Steps = 5e7, 10
		e, ch, err := Auto(context.Background(), Options{Params: p, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if ch.Probe > 0 {
			fmt.Println("MEASURED")
		}
		return
	}
	t.Setenv(EnvCacheDir, t.TempDir())
	measured := 0
	for _, out := range testenv.RunTogether(t, "TestCalibrationProcessesAtOnce", procs) {
		measured += strings.Count(out, "MEASURED")
	}
	if measured != 1 {
		t.Errorf("%d of %d runs started at once with no calibration measured, want 1", measured, procs)
	}
}
