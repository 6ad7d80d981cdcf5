package sim

// Reference computes job as the model defines it, lane by lane with
// Model.Final (Model.Path for per-step summaries): the slow, engine-free
// answer that the conformance suite (internal/enginetest) and a device's
// self-test compare engines with. Counts, extremes, digests, histograms and
// finals are those of every engine bit for bit; its moments are one block
// per job, so they agree with an engine's to rounding.
func Reference(job *Job) (*Result, error) {
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	p := job.Params
	m := p.Model()
	res := NewResult("reference", "Model", job, first, count)
	exact, _ := p.Exact(p.Steps)
	blk := NewBlock(exact)
	var days []Block
	var path []float32
	if job.Daily {
		days = make([]Block, p.Steps)
		for n := range days {
			mn, _ := p.Exact(n + 1)
			days[n] = NewBlock(mn)
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
