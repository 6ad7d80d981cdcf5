// Package check_test checks the C yardstick sol_daily.c against gpusim:
// its per-step digests (summed over the steps) and final digest equal the
// serial engine's. It needs clang and OpenMP (libomp-dev), and skips
// without them unless CI=true; scripts/sol-daily/run.sh is how it is used.
package check_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// build builds the C file name (in scripts/sol-daily) with clang and
// flags into a temporary binary, whose path it returns. Without clang, or
// where it cannot build the file, the test is skipped, but for CI=true,
// where it fails: .ci/run installs clang and libomp-dev.
func build(t *testing.T, name string, flags ...string) string {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") == "true" {
		skip = t.Fatalf
	}
	clang, err := exec.LookPath("clang")
	if err != nil {
		skip("no clang")
	}
	bin := filepath.Join(t.TempDir(), strings.TrimSuffix(name, ".c"))
	args := append(append([]string{}, flags...), filepath.Join("..", name), "-o", bin, "-lm")
	if out, err := exec.Command(clang, args...).CombinedOutput(); err != nil {
		skip("clang %q cannot build %s here: %v\n%s", flags, name, err, out)
	}
	return bin
}

func TestSolDailyDigests(t *testing.T) {
	bin := build(t, "sol_daily.c", "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fopenmp")
	// Lane counts across the 2048-lane chunks and the vector widths, steps
	// with and without a partial Philox block.
	for _, c := range []struct {
		lanes uint64
		steps int
	}{{1, 1}, {1000, 7}, {5000, 13}, {4099, 100}} {
		p := sim.Default()
		p.Lanes, p.Steps = c.lanes, c.steps
		res, err := cpu.Serial{}.Run(t.Context(), &sim.Job{Params: p, Count: c.lanes, Daily: true})
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, d := range res.Daily {
			sum += d.Digest
		}
		out, err := exec.Command(bin, fmt.Sprint(c.lanes), fmt.Sprint(c.steps), "1", "1").Output()
		if err != nil {
			t.Fatalf("sol_daily %d %d: %v", c.lanes, c.steps, err)
		}
		var got struct {
			Digest         string `json:"digest"`
			DailyDigestSum string `json:"daily_digest_sum"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("sol_daily %d %d: %v: %s", c.lanes, c.steps, err, out)
		}
		want := struct{ Digest, DailyDigestSum string }{fmt.Sprintf("%016x", res.Summary.Digest), fmt.Sprintf("%016x", sum)}
		if got.Digest != want.Digest || got.DailyDigestSum != want.DailyDigestSum {
			t.Errorf("%d lanes x %d steps: digest %s, steps' sum %s; gpusim's serial engine %s, %s",
				c.lanes, c.steps, got.Digest, got.DailyDigestSum, want.Digest, want.DailyDigestSum)
		}
	}
}
