package shard

import "github.com/gpusim/gpusim/sim"

// WritePart saves r as a part file at path.
func WritePart(path string, r *sim.Result) error { return NewPart(r).WriteFile(path) }

// MergeParts is Merge's summary alone.
func MergeParts(parts []*Part) (*sim.Summary, error) {
	r, err := Merge(parts)
	if err != nil {
		return nil, err
	}
	return r.Summary, nil
}
