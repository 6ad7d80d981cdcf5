package shard

import (
	"context"
	"errors"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	counts "github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// slurmFull is the environment of a Slurm array task.
func slurmFull(id, lo, hi, step, n string) map[string]string {
	return map[string]string{"SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_MIN": lo, "SLURM_ARRAY_TASK_MAX": hi,
		"SLURM_ARRAY_TASK_STEP": step, "SLURM_ARRAY_TASK_COUNT": n}
}

func TestParse(t *testing.T) {
	slurm := func(id, lo, n string) map[string]string {
		return map[string]string{"SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_MIN": lo, "SLURM_ARRAY_TASK_COUNT": n}
	}
	for _, c := range []struct {
		in   string
		env  map[string]string
		want Shard
	}{
		{"0/1", nil, Shard{0, 1}},
		{"3/4", nil, Shard{3, 4}},
		{"18446744073709551614/18446744073709551615", nil, Shard{math.MaxUint64 - 1, math.MaxUint64}},
		// Counts as --lanes writes them, and spaces as the variables
		// auto reads may have them (" 1/3" used to be refused).
		{"1e2/1e3", nil, Shard{100, 1000}},
		{"2^3/2^4", nil, Shard{8, 16}},
		{"2^64-2/2^64-1", nil, Shard{math.MaxUint64 - 1, math.MaxUint64}}, // as the error writes the ends
		{"+1/+2", nil, Shard{1, 2}},
		{" 1 / 3 ", nil, Shard{1, 3}},
		{"auto/ 4", slurm("2", "0", "4"), Shard{2, 4}},
		{"auto", slurm("0", "0", "4"), Shard{0, 4}},
		{"auto", slurm("3", "0", "4"), Shard{3, 4}},
		{"auto", slurm("1", "1", "4"), Shard{0, 4}},               // --array=1-4
		{"auto", slurm("4", "1", "4"), Shard{3, 4}},               // --array=1-4
		{"auto/4", slurm("2", "0", "4"), Shard{2, 4}},             // agrees with Slurm
		{"auto", slurm("7", "3", "5"), Shard{4, 5}},               // --array=3-7
		{"auto", slurmFull("0", "0", "0", "1", "1"), Shard{0, 1}}, // --array=0: the whole job
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, Shard{3, 4}},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, Shard{2, 3}}, // no MIN: 0
		// What Slurm 22.05 sets for --array=3-9:2 (seen in .ci/slurm-e2e.sh).
		{"auto", slurmFull("7", "3", "9", "2", "4"), Shard{2, 4}},
		{"auto", slurmFull("3", "3", "9", "2", "4"), Shard{0, 4}},
		// --array=1,2,3 is a range in all but name.
		{"auto", slurmFull("3", "1", "3", "1", "3"), Shard{2, 3}},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "5", EnvShardCount: "8"}, Shard{5, 8}},
		{"auto/8", map[string]string{"JOB_COMPLETION_INDEX": "5"}, Shard{5, 8}},
		{"auto/8", map[string]string{"JOB_COMPLETION_INDEX": "5", EnvShardCount: "8"}, Shard{5, 8}},
		{"auto", map[string]string{EnvShardIndex: "0", EnvShardCount: "2"}, Shard{0, 2}},
		// A count's forms, as auto/N takes them.
		{"auto", map[string]string{EnvShardIndex: "0x10", EnvShardCount: "1e3"}, Shard{16, 1000}},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": " 7 ", EnvShardCount: "2^3"}, Shard{7, 8}},
		// A value written with a Windows line end, and one of only
		// spaces, which counts as unset.
		{"auto", map[string]string{EnvShardIndex: "1", EnvShardCount: "4\r\n"}, Shard{1, 4}},
		{"auto/4", map[string]string{"JOB_COMPLETION_INDEX": "  ", EnvShardIndex: "2"}, Shard{2, 4}},
		// Slurm wins over a stray Kubernetes variable.
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2", "JOB_COMPLETION_INDEX": "0"}, Shard{1, 2}},
		// gpusim's own variables beside a launcher's, saying the same shard.
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4", EnvShardIndex: "2", EnvShardCount: "4"}, Shard{2, 4}},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "1", EnvShardIndex: "1", EnvShardCount: "4"}, Shard{1, 4}},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2", EnvShardIndex: "  "}, Shard{1, 2}},
	} {
		got, err := Parse(c.in, envMap(c.env))
		if err != nil || got != c.want {
			t.Errorf("Parse(%q, %v) = %v, %v; want %v", c.in, c.env, got, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		env  map[string]string
		want string // in the message, besides --shard and the valid forms
	}{
		{"", nil, `invalid value "": want a shard`},
		{" \t", nil, `invalid value " \t": want a shard`},
		{"3", nil, `invalid value "3": not a shard (`},
		{"4/4", nil, "index 4 must be below the shard count 4"},
		{"0/0", nil, `invalid value "0/0": shard count 0 is out of range (`},
		{"1e20/1e21", nil, `shard count 1e21 is out of range (`},
		{"-1/4", nil, `invalid value "-1/4": shard index -1 is negative (`},
		{"18446744073709551615/2", nil, `shard index 18446744073709551615 is out of range (`},
		{"x/4", nil, `shard index "x": want a whole number such as 7, 1_000, 1e3, 1k, 2^10 or 0x10 (`},
		{"1/x", nil, `count "x"`},
		{"1/4/5", nil, `invalid value "1/4/5": more than one / (`},
		{"1/18446744073709551616", nil, "count"},
		{"1.5/4", nil, `invalid value "1.5/4": shard index 1.5 is not a whole number (`},
		{"1/2.5", nil, `shard count 2.5 is not a whole number (`},
		{"5/4", nil, `invalid value "5/4": shard index 5 must be below the shard count 4 (`},
		{"auto/0", nil, `invalid value "auto/0": shard count 0 is out of range (`},
		{"x/2", nil, `invalid value "x/2": shard index "x": want a whole number such as 7,`},
		{"auto", nil, "no shard index in the environment"},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, "SLURM_ARRAY_TASK_COUNT is not"},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"}, `SLURM_ARRAY_TASK_ID="x"`},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"}, "not in the array"},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, "not in the array 0-6:2;"},
		// Past MAX: named as the array too (it used to say "task 8 of an
		// array of 8 tasks").
		{"auto", slurmFull("16", "0", "14", "2", "8"), "SLURM_ARRAY_TASK_ID=16 is not in the array 0-14:2;"},
		// --array=1,5,9: Slurm reports MIN 1, COUNT 3, and 9 is not task 8.
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, "submit a range such as --array=0-2"},
		{"auto/3", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4"}, "the environment (SLURM_ARRAY_TASK_COUNT=4) says 4 shards, not 3"},
		// The count's variable, not the index's, which holds none (it
		// named JOB_COMPLETION_INDEX and GPUSIM_SHARD_INDEX).
		{"auto/4", map[string]string{"JOB_COMPLETION_INDEX": "2", EnvShardCount: "8"}, "the environment (GPUSIM_SHARD_COUNT=8) says 8 shards, not 4"},
		{"auto/4", map[string]string{EnvShardIndex: "1", EnvShardCount: " 8"}, "the environment (GPUSIM_SHARD_COUNT=8) says 8 shards, not 4"},
		{"auto/3", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "1"}, "says 1 shard, not 3"}, // "1 shards"
		// --array=3-4 under auto/16, re-running two tasks of the array:
		// the refusal named no way on; it names the task's shard, and
		// the other ways.
		{"auto/16", slurmFull("4", "3", "4", "1", "2"), "the environment (SLURM_ARRAY_TASK_COUNT=2) says 2 shards, not 16: give --shard auto/2 for an array of 2 tasks, submit --array=0-15 for 16, or, re-running some tasks of an array of 16, use --shard 4/16 (the task's place in that array: 4 if its task IDs began at 0 with step 1) in this task ("},
		{"auto/16", slurmFull("0", "0", "0", "1", "1"), "says 1 shard, not 16: give --shard auto/1 for an array of 1 task, submit --array=0-15 for 16, or, re-running some tasks of an array of 16, use --shard 0/16 ("},
		// --array=5, a re-run of task 5 of a larger array: it ran the
		// whole job as shard 0/1, every lane, in silence (and auto/8 was
		// refused as "1 shard, not 8").
		{"auto", slurmFull("5", "5", "5", "1", "1"), "SLURM_ARRAY_TASK_ID=5 is in an array of one task (--array=5): as a re-run of one task of a larger array, it does not say which shard of how many; use --shard i/N (i the task's place in that array: 5 if its task IDs began at 0 with step 1"},
		// With auto/N the advice names the shard, and not --array=0,
		// which auto/8 refuses too ("says 1 shard, not 8").
		{"auto/8", slurmFull("5", "5", "5", "1", "1"), "SLURM_ARRAY_TASK_ID=5 is in an array of one task (--array=5), not of the 8 that --shard auto/8 says: as a re-run of one task of that array, it does not say which shard; use --shard 5/8 (the task's place in that array: 5 if its task IDs began at 0 with step 1) in this task ("},
		{"auto/4", slurmFull("5", "5", "5", "1", "1"), "use --shard i/4 (i the task's place in that array, which began past 0: 5 is not below 4) in this task ("},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "1"}, "an array of one task (--array=1)"},
		// What Slurm 22.05 sets for --array=2,4,6: STEP 1, so 4 would pass for task 2.
		{"auto", slurmFull("4", "2", "6", "1", "3"), "is a list, not a range; submit a range such as --array=0-2"},
		{"auto", slurmFull("2", "2", "6", "1", "3"), "is a list, not a range"},
		{"auto", slurmFull("9", "1", "9", "1", "3"), "is a list, not a range; submit a range such as --array=0-2, or, re-running some tasks of a larger array, give each task its shard as --shard i/N ("}, // --array=1,5,9
		// --array=3,7 under auto/16, a re-run of two tasks of the array:
		// the advice was to submit --array=0-1, which auto/16 refuses
		// too ("says 2 shards, not 16"); it names the shard.
		{"auto/16", slurmFull("7", "3", "7", "1", "2"), "is a list, not a range, not the 16 tasks that --shard auto/16 says: as a re-run of some tasks of that array, SLURM_ARRAY_TASK_ID=7 does not say which shard; use --shard 7/16 (the task's place in that array: 7 if its task IDs began at 0 with step 1) in this task, or submit the range --array=0-15 ("},
		{"auto/4", slurmFull("7", "3", "7", "1", "2"), "use --shard i/4 (i the task's place in that array, which began past 0: 7 is not below 4) in this task"},
		{"auto/3", slurmFull("9", "1", "9", "1", "3"), "is a list, not a range; submit a range such as --array=0-2, or"}, // a list of the count auto/3 says
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "1"}, "GPUSIM_SHARD_COUNT is not set"},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "4", EnvShardCount: "4"}, "index 4 from JOB_COMPLETION_INDEX must be below the shard count 4"},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "1", EnvShardCount: "0"}, "GPUSIM_SHARD_COUNT=\"0\" is out of range: want a whole number from 1 to 2^64-1 ("},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "1", EnvShardCount: "2.5"}, "GPUSIM_SHARD_COUNT=\"2.5\" is not a whole number from 1 to 2^64-1, such as 7, 1_000,"},
		{"auto", map[string]string{EnvShardIndex: "-1", EnvShardCount: "2"}, "GPUSIM_SHARD_INDEX=\"-1\" is negative: want a whole number from 0 to 2^64-1 ("},
		{"auto/x", nil, `count "x"`},
		// Thousands separators get the count flags' advice.
		{"1,000/2,000", nil, `shard count "2,000": thousands separators are not read: write 2000 or 2k (`},
		{"1,000/2000", nil, `shard index "1,000": thousands separators are not read: write 1000 or 1k (`},
		{"auto", map[string]string{EnvShardIndex: "1,000", EnvShardCount: "2000"}, `GPUSIM_SHARD_INDEX="1,000" is not a whole number from 0 to 2^64-1, such as 7, 1_000, 1e3, 1k, 2^10 or 0x10: thousands separators are not read: write 1000 or 1k`},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2,000"}, `SLURM_ARRAY_TASK_COUNT="2,000" is not a whole number from 1 to 2^64-1, such as `},
		// Past 2^64-1: out of range, with the range, as --shard's own
		// counts say (it said "of at least 1", then "is not a whole
		// number from 1 to 2^64-1", of a whole number).
		{"auto", map[string]string{EnvShardIndex: "1", EnvShardCount: "99999999999999999999"}, `GPUSIM_SHARD_COUNT="99999999999999999999" is out of range: want a whole number from 1 to 2^64-1 (`},
		{"auto", map[string]string{EnvShardIndex: "1", EnvShardCount: "2^64"}, `GPUSIM_SHARD_COUNT="2^64" is out of range: want a whole number from 1 to 2^64-1 (`},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "18446744073709551616", "SLURM_ARRAY_TASK_COUNT": "2"}, `SLURM_ARRAY_TASK_ID="18446744073709551616" is out of range: want a whole number from 0 to 2^64-1 (`},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "0"}, `SLURM_ARRAY_TASK_COUNT="0" is out of range: want a whole number from 1 to 2^64-1 (`},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "1e20", EnvShardCount: "2"}, `JOB_COMPLETION_INDEX="1e20" is out of range: want a whole number from 0 to 2^64-1 (`},
		// A minus sign other than ASCII's, named as the count flags
		// name it (it had the generic message alone).
		{"auto", map[string]string{EnvShardIndex: "1", EnvShardCount: "2^64\u22121"}, "GPUSIM_SHARD_COUNT=\"2^64\u22121\" is not a whole number from 1 to 2^64-1, such as 7, 1_000, 1e3, 1k, 2^10 or 0x10: \u2212 (U+2212) is not read as a minus sign: write 2^64-1 with the ASCII hyphen-minus - ("},
		{"0/2^64\u22121", nil, "invalid value \"0/2^64\u22121\": shard count \"2^64\u22121\": \u2212 (U+2212) is not read as a minus sign: write 2^64-1 with the ASCII hyphen-minus - ("},
		{"autox", nil, `invalid value "autox": not a shard; did you mean auto? (`},
		// gpusim's own variables, set beside a launcher's that auto reads
		// first, and saying another shard: every task of a Slurm array
		// looping over GPUSIM_SHARD_INDEX ran the array's shard each time,
		// in silence, as GPUSIM_SHARD_COUNT=8 ran 4 shards where --shard
		// auto/8 was refused.
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", EnvShardIndex: "5", EnvShardCount: "8"}, "SLURM_ARRAY_TASK_ID gives shard 2/4, but GPUSIM_SHARD_INDEX=5 gives index 5"},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", EnvShardCount: "8"}, "SLURM_ARRAY_TASK_ID gives shard 2/4, but GPUSIM_SHARD_COUNT=8 gives 8 shards"},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "1", EnvShardIndex: "2", EnvShardCount: "4"}, "JOB_COMPLETION_INDEX gives shard 1/4, but GPUSIM_SHARD_INDEX=2 gives index 2"},
		{"auto", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", EnvShardIndex: "x"}, `GPUSIM_SHARD_INDEX="x"`},
	} {
		_, err := Parse(c.in, envMap(c.env))
		var pe *sim.ParamError
		if !errors.As(err, &pe) || pe.Flag != "shard" {
			t.Errorf("Parse(%q, %v) = %v, want a --shard error", c.in, c.env, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "--shard: ") || !strings.Contains(msg, c.want) || !strings.HasSuffix(msg, " ("+shardForms+")") {
			t.Errorf("Parse(%q, %v): %q, want it to contain %q and end with the valid forms", c.in, c.env, msg, c.want)
		}
		// One bracket of what is valid, as the count flags' "(valid
		// range 1..2^64-1)": a bad index or count had its range and the
		// forms in two brackets in a row.
		if strings.Contains(msg, ") (") || strings.Count(msg, "(valid") != 1 {
			t.Errorf("Parse(%q, %v): %q, want one bracket naming what is valid", c.in, c.env, msg)
		}
	}
}

// TestParseAutoSubject: every refusal of auto or auto/N leads with it as
// given, unquoted and trimmed, in one form: an index past the count read
// `"auto": shard index 3 ...` and a count the environment denies
// `"auto/4": ...`, where the others read "auto: ", and auto/4 with a bad
// variable read "auto: " too.
func TestParseAutoSubject(t *testing.T) {
	for _, c := range []struct {
		in   string
		env  map[string]string
		want string // the message's start
	}{
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "3", EnvShardCount: "3"}, "--shard: auto: shard index 3 from JOB_COMPLETION_INDEX must be below the shard count 3 ("},
		{"auto/3", map[string]string{"JOB_COMPLETION_INDEX": "3"}, "--shard: auto/3: shard index 3 from JOB_COMPLETION_INDEX must be below the shard count 3 ("},
		{" auto / 4 ", map[string]string{"JOB_COMPLETION_INDEX": "2", EnvShardCount: "8"}, "--shard: auto/4: the environment (GPUSIM_SHARD_COUNT=8) says 8 shards, not 4 ("},
		{"auto/4", map[string]string{EnvShardIndex: "x"}, `--shard: auto/4: GPUSIM_SHARD_INDEX="x" is not a whole number`},
		{"auto", map[string]string{"JOB_COMPLETION_INDEX": "1"}, "--shard: auto: JOB_COMPLETION_INDEX gives the index but GPUSIM_SHARD_COUNT is not set"},
		{"auto", nil, "--shard: auto: no shard index in the environment"},
	} {
		_, err := Parse(c.in, envMap(c.env))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Parse(%q, %v) = %v, want an error starting %q", c.in, c.env, err, c.want)
		}
	}
}

// TestShardRange checks the split against exact big-integer arithmetic,
// including lane and shard counts near 2^64 where i*L overflows 64 bits.
func TestShardRange(t *testing.T) {
	lanes := []uint64{0, 1, 2, 3, 7, 100003, 1 << 32, 1<<63 + 5, math.MaxUint64 - 1, math.MaxUint64}
	counts := []uint64{1, 2, 3, 7, 64, 100003, 1 << 40, 1<<63 + 1, math.MaxUint64}
	for _, l := range lanes {
		for _, n := range counts {
			idx := []uint64{0, 1, 2, n / 3, n / 2, n - 2, n - 1}
			for _, i := range idx {
				if i >= n {
					continue
				}
				first, count := Shard{i, n}.Range(l)
				want := func(k uint64) uint64 {
					x := new(big.Int).Mul(new(big.Int).SetUint64(k), new(big.Int).SetUint64(l))
					return x.Div(x, new(big.Int).SetUint64(n)).Uint64()
				}
				if wf, we := want(i), want(i+1); first != wf || first+count != we || count-l/n > 1 {
					t.Errorf("Shard{%d, %d}.Range(%d) = [%d, %d+%d), want [%d, %d)", i, n, l, first, first, count, wf, we)
				}
			}
		}
	}
}

// TestShardCover checks that the shards of small jobs tile the lanes.
func TestShardCover(t *testing.T) {
	for _, l := range []uint64{0, 1, 5, 100, 100003} {
		for _, n := range []uint64{1, 2, 3, 7, 8, 101} {
			next := uint64(0)
			for i := uint64(0); i < n; i++ {
				first, count := Shard{i, n}.Range(l)
				if first != next || count < l/n || count > l/n+1 {
					t.Fatalf("lanes %d, shard %d/%d: [%d, %d+%d), want first %d and %d or %d lanes", l, i, n, first, first, count, next, l/n, l/n+1)
				}
				next += count
			}
			if next != l {
				t.Fatalf("lanes %d in %d shards cover %d lanes", l, n, next)
			}
		}
	}
}

type countEngine struct{ jobs []sim.Job }

func (*countEngine) Name() string { return "count" }
func (e *countEngine) Run(_ context.Context, j *sim.Job) (*sim.Result, error) {
	e.jobs = append(e.jobs, *j)
	s := sim.NewSummary(j.Params)
	s.Count = j.Count
	return &sim.Result{Engine: "count", Params: j.Params, First: j.First, Summary: s}, nil
}

func TestRun(t *testing.T) {
	p := sim.Default()
	p.Lanes = 3
	e := &countEngine{}
	var total uint64
	for i := uint64(0); i < 5; i++ {
		r, err := Run(context.Background(), e, &sim.Job{Params: p, KeepFinals: true}, Shard{i, 5})
		if err != nil {
			t.Fatal(err)
		}
		first, count := Shard{i, 5}.Range(3)
		if r.First != first || r.Summary.Count != count || (count == 0 && r.Finals == nil) {
			t.Errorf("shard %d/5 of 3 lanes: first %d count %d, want %d %d", i, r.First, r.Summary.Count, first, count)
		}
		total += r.Summary.Count
	}
	if total != 3 || len(e.jobs) != 3 {
		t.Errorf("5 shards of 3 lanes ran %d lanes in %d engine calls, want 3 in 3", total, len(e.jobs))
	}
	// A shard of a job that already names a lane range splits that range.
	e.jobs = nil
	p.Lanes = 100
	if _, err := Run(context.Background(), e, &sim.Job{Params: p, First: 10, Count: 20}, Shard{1, 2}); err != nil {
		t.Fatal(err)
	}
	if j := e.jobs[0]; j.First != 20 || j.Count != 10 {
		t.Errorf("shard 1/2 of lanes [10, 30) ran [%d, %d+%d), want [20, 30)", j.First, j.First, j.Count)
	}
	if _, err := Run(context.Background(), e, &sim.Job{Params: p}, Shard{2, 2}); err == nil {
		t.Error("Run accepted shard 2/2")
	}
}

// fastEngine is countEngine with --math fast's arithmetic
// (sim.MathReporter).
type fastEngine struct{ countEngine }

func (*fastEngine) Math() string { return sim.MathFast }

// TestRunEmptyShardMath: an empty shard's result, which no engine
// computes, says the engine's arithmetic: an empty shard of a --math fast
// job said exact in its report and its part, against the others' fast.
func TestRunEmptyShardMath(t *testing.T) {
	p := sim.Default()
	p.Lanes = 3
	for _, c := range []struct {
		e    sim.Engine
		want string
	}{{&countEngine{}, sim.MathExact}, {&fastEngine{}, sim.MathFast}} {
		r, err := Run(context.Background(), c.e, &sim.Job{Params: p}, Shard{0, 5})
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Count != 0 || r.Math != c.want {
			t.Errorf("empty shard 0/5 of 3 lanes on %T: %d lanes, math %q; want 0, %q", c.e, r.Summary.Count, r.Math, c.want)
		}
	}
}

func TestUnusedIndex(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // a part of the note; "" for none
	}{
		{"no launcher", map[string]string{}, ""},
		{"slurm array", slurmFull("3", "0", "7", "1", "8"), "SLURM_ARRAY_TASK_ID=3 says this is one task of an array of 8,"},
		{"slurm one task", slurmFull("0", "0", "0", "1", "1"), ""},
		{"slurm no count", map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, "one task of an array, but without --shard"},
		{"kubernetes", map[string]string{"JOB_COMPLETION_INDEX": "5", EnvShardCount: "16"}, "JOB_COMPLETION_INDEX=5 says this is one task of an array of 16"},
		{"kubernetes one", map[string]string{"JOB_COMPLETION_INDEX": "0", EnvShardCount: "1"}, ""},
		{"gpusim's own", map[string]string{EnvShardIndex: " 1 "}, "GPUSIM_SHARD_INDEX=1 says"},
		{"slurm first", map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "5", "JOB_COMPLETION_INDEX": "1"}, "SLURM_ARRAY_TASK_ID=4"},
		{"blank", map[string]string{"SLURM_ARRAY_TASK_ID": "  "}, ""},
	} {
		got := UnusedIndex(envMap(tc.env))
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: UnusedIndex = %q, want one with %q", tc.name, got, tc.want)
		}
		if got != "" && !strings.Contains(got, "--shard auto") {
			t.Errorf("%s: %q does not say --shard auto", tc.name, got)
		}
	}
}

// TestOverridden: --shard i/N given where the environment gives another
// shard runs i/N with a note naming the environment's shard and its
// variables; where they agree, or give none auto takes, no note.
// GPUSIM_SHARD_INDEX=1 GPUSIM_SHARD_COUNT=2 with --shard 0/2 ran shard 0
// without a word.
func TestOverridden(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Shard
		env  map[string]string
		want string // the note; "" for none
	}{
		{"gpusim's own", Shard{0, 2}, map[string]string{EnvShardIndex: "1", EnvShardCount: "2"},
			"--shard 0/2 runs shard 0/2, not shard 1/2, which the environment gives (GPUSIM_SHARD_INDEX=1, GPUSIM_SHARD_COUNT=2) to --shard auto/2: a shard given as i/N wins over the variables"},
		{"agree", Shard{1, 2}, map[string]string{EnvShardIndex: "1", EnvShardCount: "2"}, ""},
		{"index alone", Shard{0, 2}, map[string]string{EnvShardIndex: " 1 "},
			"--shard 0/2 runs shard 0/2, not shard 1/2, which the environment gives (GPUSIM_SHARD_INDEX=1) to --shard auto/2: a shard given as i/N wins over the variables"},
		{"index alone agrees", Shard{1, 2}, map[string]string{EnvShardIndex: "1"}, ""},
		{"another count", Shard{1, 2}, map[string]string{EnvShardIndex: "1", EnvShardCount: "4"},
			"--shard 1/2 runs shard 1/2, not shard 1/4, which the environment gives (GPUSIM_SHARD_INDEX=1, GPUSIM_SHARD_COUNT=4) to --shard auto: "},
		{"slurm", Shard{0, 4}, slurmFull("3", "1", "4", "1", "4"),
			"not shard 2/4, which the environment gives (SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_COUNT=4) to --shard auto/4: "},
		{"slurm agrees", Shard{2, 4}, slurmFull("3", "1", "4", "1", "4"), ""},
		{"kubernetes", Shard{0, 16}, map[string]string{"JOB_COMPLETION_INDEX": "5", EnvShardCount: "16"}, "not shard 5/16, which the environment gives (JOB_COMPLETION_INDEX=5, GPUSIM_SHARD_COUNT=16)"},
		{"none", Shard{0, 2}, map[string]string{}, ""},
		{"not a shard", Shard{0, 2}, map[string]string{EnvShardIndex: "x"}, ""},
		{"slurm one task re-run", Shard{5, 16}, slurmFull("5", "5", "5", "1", "1"), ""},
		{"slurm re-run of two", Shard{3, 16}, slurmFull("3", "3", "4", "1", "2"), "not shard 0/2, which the environment gives (SLURM_ARRAY_TASK_ID=3, SLURM_ARRAY_TASK_MIN=3, SLURM_ARRAY_TASK_COUNT=2) to --shard auto: "},
		{"slurm from 0 by 2", Shard{0, 4}, slurmFull("4", "0", "6", "2", "4"), "not shard 2/4, which the environment gives (SLURM_ARRAY_TASK_ID=4, SLURM_ARRAY_TASK_STEP=2, SLURM_ARRAY_TASK_COUNT=4) to --shard auto/4: "},
	} {
		got := Overridden(tc.s, envMap(tc.env))
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: Overridden(%v) = %q, want one with %q", tc.name, tc.s, got, tc.want)
		}
	}
}

// TestEnvForms: every form the environment's message names is read as a
// count; they were lane counts (5000000, 2.5M), odd for a task id.
func TestEnvForms(t *testing.T) {
	for _, f := range strings.Split(strings.ReplaceAll(envForms, " or ", ", "), ", ") {
		if _, err := counts.Parse(f); err != nil {
			t.Errorf("envForms names %q, which is not read: %v", f, err)
		}
	}
}

// TestMissingShardsMoreShardsThanLanes: the shards that hold a gap's lanes
// where there are more shards than lanes (each holds one lane or none)
// are those a lane-by-lane search finds, in runs, for every gap of small
// jobs; and a job of 2^40 lanes in 2^40+1 shards names the shards around
// its one part at once: missingShards went lane by lane, 2^40 steps, and a
// merge of that part did not end.
func TestMissingShardsMoreShardsThanLanes(t *testing.T) {
	// want is the lane-by-lane answer: each lane's shard, in runs.
	want := func(lanes, n uint64, gaps [][2]uint64) (runs [][2]uint64, total uint64) {
		for _, g := range gaps {
			total += g[1] - g[0]
			for l := g[0]; l < g[1]; l++ {
				var k uint64
				for s := range n {
					if f, c := sim.Split(lanes, s, n); c == 1 && f == l {
						k = s
					}
				}
				if m := len(runs) - 1; m >= 0 && runs[m][1] == k {
					runs[m][1]++
				} else if len(runs) <= maxRuns {
					runs = append(runs, [2]uint64{k, k + 1})
				}
			}
		}
		return runs, total
	}
	for lanes := uint64(1); lanes <= 12; lanes++ {
		for n := lanes + 1; n <= 3*lanes+2; n++ {
			parts := []*Part{{Shard: &Shard{0, n}}}
			for a := uint64(0); a < lanes; a++ {
				for b := a + 1; b <= lanes; b++ {
					gaps := [][2]uint64{{a, b}}
					if b+1 < lanes {
						gaps = append(gaps, [2]uint64{b + 1, lanes})
					}
					gotN, runs, total := missingShards(parts, lanes, gaps)
					wantRuns, wantTotal := want(lanes, n, gaps)
					if gotN != n || total != wantTotal || !slices.Equal(runs, wantRuns) {
						t.Fatalf("%d lanes in %d shards, gaps %v: %d shards, runs %v of %d; want %d, %v of %d", lanes, n, gaps, gotN, runs, total, n, wantRuns, wantTotal)
					}
				}
			}
		}
	}
	const lanes = 1 << 40
	n := uint64(lanes + 1) // shard 0 empty, shard k holds lane k-1
	done := make(chan struct{})
	var runs [][2]uint64
	var total uint64
	go func() {
		defer close(done)
		_, runs, total = missingShards([]*Part{{Shard: &Shard{6, n}}}, lanes, [][2]uint64{{0, 5}, {6, lanes}})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("missingShards of 2^40 lanes in 2^40+1 shards has not returned in 10 s")
	}
	if wantRuns := [][2]uint64{{1, 6}, {7, n}}; !slices.Equal(runs, wantRuns) || total != lanes-1 {
		t.Errorf("runs %v of %d, want %v of %d", runs, total, wantRuns, uint64(lanes-1))
	}
}
