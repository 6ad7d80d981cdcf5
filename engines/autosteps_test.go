package engines

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// steppedEngine is a virtualEngine whose --daily runs also take perStep
// seconds a step (the statistics across lanes of each step).
type steppedEngine struct {
	virtualEngine
	perStep float64
}

func (e *steppedEngine) Run(ctx context.Context, j *sim.Job) (*sim.Result, error) {
	if j.Daily {
		*e.clock = e.clock.Add(time.Duration(float64(j.Params.Steps) * e.perStep * 1e9))
	}
	return e.virtualEngine.Run(ctx, j)
}

// TestCalibrateDailyPerStep: a --daily job of more steps than its probe's
// 32 is predicted with its per-step cost counted each step. The fixed time
// of the probe's fit held 32 steps' statistics, and 1e5 x 1e4 with
// --daily came out about 4% low on simd; here, where a step's statistics
// cost as much as its lanes, half the job's time was missing.
func TestCalibrateDailyPerStep(t *testing.T) {
	clock := virtualClock(t)
	e := &steppedEngine{virtualEngine{timedEngine{fixed: 1e-4, perLaneStep: 1e-9}, clock}, 1e-4}
	dev := Entry{Name: "fake", Open: func(context.Context, Options) (sim.Engine, error) { return e, nil }}
	p := sim.Default()
	for _, steps := range []int{1e4, 32, 20} {
		p.Lanes, p.Steps = 1e5, steps
		work := float64(p.Lanes) * float64(steps)
		c, eng, ch, err := calibrate(context.Background(), dev, []Device{{Index: 0, Label: "fake device", GPU: true}}, Options{Params: p, Daily: true}, cpu.SIMD{}, work, span{})
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(eng)
		want := e.fixed + work*e.perLaneStep + float64(steps)*e.perStep
		_, rest, _ := strings.Cut(ch.Reason, "fake on fake device at ")
		var got float64
		var unit string
		_, err = fmt.Sscanf(rest, "%g %s once started", &got, &unit)
		got *= map[string]float64{"s": 1, "ms": 1e-3, "µs": 1e-6}[unit]
		if err != nil || math.Abs(got-want) > 0.01*want {
			t.Errorf("%d steps: reason %q predicts the device at %.4g s, want %.4g s (calibration %+v)", steps, ch.Reason, got, want, c.Devices)
		}
	}
}
