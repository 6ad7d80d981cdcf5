package main

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/sim"
)

// TestLaneFloor: the floor before a run counts a lane at
// engines.LaneFloor lane-steps at least, as it costs besides its steps:
// counted as one, --lanes 1e17 --steps 1 was 0.79 years on 2 cores and
// started, auto itself predicting 8.55 years (ETA 106293h). A big job
// under a year by the floor still passes.
func TestLaneFloor(t *testing.T) {
	if min(runtime.GOMAXPROCS(0), runtime.NumCPU()) < 2 {
		t.Skip("one core: the old floor refused the job too")
	}
	check := func(engine string, workers int, lanes uint64, steps int) error {
		p := sim.Default()
		p.Lanes, p.Steps = lanes, steps
		o := &runOptions{params: p, engine: engine, shard: &shardRun{}}
		o.eng.Workers = workers
		return o.checkTime()
	}
	err := check("simd", 2, 1e17, 1)
	const want = "100000000000000000 lanes x 1 step (100000000000000000 lane-steps, each lane at least 2 lane-steps' work) would take at least 1.58 years, at 4G lane-steps/s for simd on 2 cores,"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("--engine simd --workers 2 --lanes 1e17 --steps 1: %v; want %q", err, want)
	}
	if err := check("serial", 0, 1e15, 1); err != nil {
		t.Errorf("--engine serial --lanes 1e15 --steps 1 (0.32 years at the floor): %v; want it let through", err)
	}
	if err := check("simd", 2, 1e16, 0); err != nil {
		t.Errorf("--engine simd --workers 2 --lanes 1e16 --steps 0 (0.16 years at the floor): %v; want it let through", err)
	}

	// The user's job, on auto: refused wherever no GPU is here, where
	// the old floor let it start (stopped by ctx here rather than run).
	if ds, _ := gpu.Devices(); slices.ContainsFunc(ds, func(d gpu.DeviceDesc) bool { return !strings.Contains(d.Type, "CPU") }) {
		t.Skip("a GPU is here: auto's floor is a GPU's")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t.Setenv("GPUSIM_CACHE_DIR", t.TempDir())
	code, stdout, stderr := run(ctx, "run", "--lanes", "1e17", "--steps", "1", "-q")
	if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, "gpusim: error: --lanes: 100000000000000000 lanes x 1 step (100000000000000000 lane-steps, each lane at least 2 lane-steps' work) would take at least ") {
		t.Errorf("run --lanes 1e17 --steps 1: exit %d, stdout %q, stderr %q; want exit 2, refused by the floor", code, stdout, stderr)
	}
}
