package enginetest

import (
	"math"
	"reflect"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// TestNewDraw: every draw is a valid job within DrawOptions' bounds, the
// same seed draws the same job, and the draws reach the edges they favour.
func TestNewDraw(t *testing.T) {
	opt := DrawOptions{}.withDefaults()
	var top, high, one, daily, zeroP, zeroSigma int
	for seed := range uint64(2000) {
		d := NewDraw(seed, DrawOptions{})
		j := d.Job
		if err := j.Params.Validate(); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		_, n, err := j.Range()
		if err != nil || n > opt.MaxLanes || j.Params.Steps > opt.MaxSteps {
			t.Fatalf("%s: range %d lanes, %v", d, n, err)
		}
		if e := NewDraw(seed, DrawOptions{}); !reflect.DeepEqual(e.Job, j) {
			t.Fatalf("seed %#x drew %s, then %s", seed, d, e)
		}
		count := func(c *int, b bool) {
			if b {
				*c++
			}
		}
		count(&top, j.First+n == math.MaxUint64)
		count(&high, j.First < 1<<32 && j.First+n > 1<<32)
		count(&one, n == 1)
		count(&daily, j.Daily)
		count(&zeroP, j.Params.Persistence == 0)
		count(&zeroSigma, j.Params.Sigma == 0)
	}
	for name, c := range map[string]int{"at the top": top, "across 2^32": high, "one lane": one, "daily": daily, "persistence 0": zeroP, "sigma 0": zeroSigma} {
		if c < 20 {
			t.Errorf("%d of 2000 draws %s, want at least 20", c, name)
		}
	}
}

// TestSelfConsistent: a result whose summary is its kept finals' passes;
// one final changed, or a last step's digest that is not the final one's,
// fails.
func TestSelfConsistent(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 100, 3
	j := &sim.Job{Params: p, First: 7, KeepFinals: true, Daily: true}
	r, err := sim.Reference(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := SelfConsistent(r, j); err != nil {
		t.Fatal(err)
	}
	x := r.Finals[50]
	r.Finals[50] = math.Nextafter32(x, 0)
	if err := SelfConsistent(r, j); err == nil {
		t.Error("a changed final passed")
	}
	r.Finals[50] = x
	r.Daily[2].Digest++
	if err := SelfConsistent(r, j); err == nil {
		t.Error("a last step's digest unlike the final one passed")
	}
}
