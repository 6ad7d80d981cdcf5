package enginetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// reference computes job as the model defines it, lane by lane with
// sim.Model.Final (sim.Model.Path for per-step summaries), so that the suite
// needs no engine. Its moments are one block per job, so they agree with an
// engine's to DefaultTol, not bit for bit.
func reference(job *sim.Job) (*sim.Result, error) {
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	p := job.Params
	m := p.Model()
	res := sim.NewResult("reference", "sim.Model", job, first, count)
	exact, _ := p.Exact(p.Steps)
	blk := sim.NewBlock(exact)
	var days []sim.Block
	var path []float32
	if job.Daily {
		days = make([]sim.Block, p.Steps)
		for n := range days {
			mn, _ := p.Exact(n + 1)
			days[n] = sim.NewBlock(mn)
		}
		path = make([]float32, p.Steps)
	}
	for i := range count {
		lane := first + i
		t := m.Final(lane)
		if job.Daily {
			m.Path(lane, path)
			for n, x := range path {
				days[n].Add(lane, x)
				res.Daily[n].Hist.Add(x)
			}
		}
		blk.Add(lane, t)
		res.Summary.Hist.Add(t)
		if res.Finals != nil {
			res.Finals[i] = t
		}
	}
	res.Summary.AddBlock(&blk)
	for n := range days {
		res.Daily[n].AddBlock(&days[n])
	}
	return res, nil
}

// cache holds reference results: every engine configuration of a test
// binary is compared with the same ones.
var cache = struct {
	sync.Mutex
	m map[string]*sim.Result
}{m: map[string]*sim.Result{}}

// Want returns the expected result of job, computed by ref or, when ref is
// nil, by the model itself (sim.Model.Final lane by lane), and cached for
// the test binary's life. Progress is not called.
func Want(t testing.TB, ref sim.Engine, job *sim.Job) *sim.Result {
	t.Helper()
	name := "model"
	if ref != nil {
		name = ref.Name()
	}
	k := fmt.Sprintf("%s %+v %d %d %v %v", name, job.Params, job.First, job.Count, job.KeepFinals, job.Daily)
	cache.Lock()
	defer cache.Unlock()
	if r := cache.m[k]; r != nil {
		return r
	}
	j := *job
	j.Progress = nil
	var r *sim.Result
	var err error
	if ref != nil {
		r, err = ref.Run(t.Context(), &j)
	} else {
		r, err = reference(&j)
	}
	if err != nil {
		t.Fatalf("reference %s: %v", name, err)
	}
	cache.m[k] = r
	return r
}
