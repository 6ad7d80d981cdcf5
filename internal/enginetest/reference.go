package enginetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

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
		r, err = sim.Reference(&j)
	}
	if err != nil {
		t.Fatalf("reference %s: %v", name, err)
	}
	cache.m[k] = r
	return r
}
