package shard_test

import (
	"strings"
	"testing"

	"github.com/gpusim/gpusim/shard"
)

// TestCoverageErrorOneLane: a job of one lane is "1 lane" ("the job's 1
// lanes" was written).
func TestCoverageErrorOneLane(t *testing.T) {
	for _, c := range []struct {
		lanes uint64
		want  string
	}{{1, "the job's 1 lane exactly once"}, {2, "the job's 2 lanes exactly once"}} {
		err := &shard.CoverageError{Lanes: c.lanes, Problems: []string{"lanes [0, 1) are missing"}}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d lanes: %q, want %q", c.lanes, err, c.want)
		}
	}
}
