package shard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	counts "github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/suggest"
	"github.com/gpusim/gpusim/sim"
)

// Shard is one of Count equal slices of a job's lanes: shard i of N runs
//
//	lanes [floor(i L / N), floor((i+1) L / N))
//
// of a job of L lanes, so the N shards cover every lane exactly once, their
// sizes differ by at most one, and the split depends only on i, N and L.
type Shard struct {
	Index uint64 // i, 0 <= i < N
	Count uint64 // N, at least 1
}

// String is the --shard form, i/N.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Range returns shard s's lanes of a job of lanes lanes: [first, first+count)
// (sim.Split). count is zero when there are more shards than lanes and s
// gets none. s must have Index < Count, as Parse's do.
func (s Shard) Range(lanes uint64) (first, count uint64) {
	if s.Index >= s.Count {
		panic(fmt.Sprintf("shard: Range of shard %s", s))
	}
	return sim.Split(lanes, s.Index, s.Count)
}

// The environment variables --shard auto reads.
const (
	// EnvShardCount is the shard count of a Kubernetes Indexed Job, which
	// exports its index (JOB_COMPLETION_INDEX) but not spec.completions: the
	// manifest sets GPUSIM_SHARD_COUNT to the same number as completions.
	EnvShardCount = "GPUSIM_SHARD_COUNT"
	// EnvShardIndex is the index for any other launcher (GNU parallel, a
	// shell loop): set it with GPUSIM_SHARD_COUNT.
	EnvShardIndex = "GPUSIM_SHARD_INDEX"
)

// shardForms is what every --shard refusal ends with, in one bracket as
// the count flags' "(valid range 1..2^64-1)": the ranges of i and N are
// in it (i < N <= 2^64-1), where a bad index or count had its range and
// the forms in two brackets in a row.
const shardForms = "valid: i/N with 0 <= i < N <= 2^64-1, auto, or auto/N"

// Parse parses --shard. The forms are
//
//	i/N     shard i of N, 0 <= i < N
//	auto    index and count from the environment (below)
//	auto/N  index from the environment, N shards
//
// auto looks, in this order, for
//
//	Slurm job array     index SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, divided by
//	                    SLURM_ARRAY_TASK_STEP when set; count SLURM_ARRAY_TASK_COUNT;
//	                    an array that is a list, not a range (--array=1,5,9), is refused,
//	                    and so is an array of one task other than 0 (--array=5, a
//	                    re-run of one task of a larger array, whose count it lacks)
//	Kubernetes Indexed  index JOB_COMPLETION_INDEX; count GPUSIM_SHARD_COUNT
//	Job
//	anything else       index GPUSIM_SHARD_INDEX; count GPUSIM_SHARD_COUNT
//
// so --array=0-3, --array=1-4 and --array=0-6:2 all give shards 0/4 to 3/4.
// An explicit /N must agree with the count the environment gives, if any,
// and so must GPUSIM_SHARD_INDEX and GPUSIM_SHARD_COUNT where they are set
// beside the launcher's variables that auto takes (agree).
// env looks up a variable (os.Getenv). Errors are *sim.ParamError for
// "shard", worded as the count flags': "invalid value "X": ... (valid:
// ...)", one bracket.
func Parse(s string, env func(string) string) (Shard, error) {
	invalid := func(format string, a ...any) (Shard, error) {
		return Shard{}, &sim.ParamError{Flag: "shard", Msg: fmt.Sprintf("invalid value %q: ", s) + fmt.Sprintf(format, a...) + " (" + shardForms + ")"}
	}
	// Index and count are counts as --lanes takes them (1000, 1e3, 2^10),
	// and spaces around them are ignored, as around every number gpusim
	// reads: the count and model flags, lists and the variables auto reads.
	if strings.TrimSpace(s) == "" {
		// As every flag words an empty value: it read `needs a shard,
		// got ""`.
		return invalid("want a shard")
	}
	head, tail, slash := strings.Cut(s, "/")
	head, tail = strings.TrimSpace(head), strings.TrimSpace(tail)
	var count uint64
	if strings.Contains(tail, "/") {
		// 1/2/3 read `shard count "2/3" must be a whole number`.
		return invalid("more than one /")
	}
	if slash {
		n, msg := number("shard count", tail, 1, math.MaxUint64)
		if msg != "" {
			return invalid("%s", msg)
		}
		count = n
	}
	if head != "auto" {
		if !slash {
			return invalid("not a shard%s", suggest.Value(head, "auto"))
		}
		i, msg := number("shard index", head, 0, math.MaxUint64-1)
		if msg != "" {
			// AUTO/4: did you mean auto?
			return invalid("%s%s", msg, suggest.Value(head, "auto"))
		}
		if i >= count {
			return invalid("shard index %d must be below the shard count %d", i, count)
		}
		return Shard{i, count}, nil
	}
	auto := "auto"
	if slash {
		auto += "/" + tail
	}
	return fromAuto(auto, count, env)
}

// fromAuto is Parse's shard for auto or auto/N (count N, or 0), from the
// environment env. Its errors lead with auto as given, unquoted, spaces
// trimmed: "--shard: auto/16: the environment ..." (one of them read
// `--shard: "auto": shard index 3 ...` where the others read "auto: ").
func fromAuto(auto string, count uint64, env func(string) string) (Shard, error) {
	bad := func(format string, a ...any) (Shard, error) {
		return Shard{}, &sim.ParamError{Flag: "shard", Msg: auto + ": " + fmt.Sprintf(format, a...) + " (" + shardForms + ")"}
	}
	sh, from, err := fromEnv(env, count)
	if err != nil {
		return bad("%v", err)
	}
	switch {
	case count == 0 && sh.Count == 0:
		return bad("%s gives the index but %s is not set; set it to the number of shards or use auto/N", from, EnvShardCount)
	case count == 0:
		count = sh.Count
	case sh.Count != 0 && sh.Count != count:
		// The variable that gave the count: an index variable named
		// here (JOB_COMPLETION_INDEX) holds none.
		countVar, ways := EnvShardCount, ""
		if from == "SLURM_ARRAY_TASK_ID" {
			countVar = "SLURM_ARRAY_TASK_COUNT"
			// --array=3-4 or --array=0 under auto/16, re-running some
			// tasks of the array, most likely: the refusal named no
			// way on. The task id says the shard in the array of
			// count tasks, as for a list or a task on its own.
			if id, err := counts.Parse(strings.TrimSpace(env(from))); err == nil && count > 1 {
				ways = fmt.Sprintf(": give --shard auto/%d for an array of %s, submit --array=0-%d for %d, or, re-running some tasks of an array of %d, use --shard %s in this task", sh.Count, counts.Noun(sh.Count, "task"), count-1, count, count, shardOfTask(id, count))
			}
		}
		return bad("the environment (%s=%s) says %s, not %d%s", countVar, strings.TrimSpace(env(countVar)), counts.Noun(sh.Count, "shard"), count, ways)
	}
	if sh.Index >= count {
		return bad("shard index %d from %s must be below the shard count %d", sh.Index, from, count)
	}
	return Shard{sh.Index, count}, nil
}

// number reads v, a shard index or count (what), as --lanes reads a count,
// within lo..hi; where it is none, msg says why in the count flags' words
// without their range, which shardForms gives: "shard index -1 is
// negative", "shard count 0 is out of range", "shard index 1.5 is not a
// whole number", and a form's error after the value quoted (shard index
// "x": want a whole number such as 7, ...: a shard's examples, where the
// count flags' are lane counts).
func number(what, v string, lo, hi uint64) (n uint64, msg string) {
	n, err := counts.Parse(v)
	switch {
	case errors.Is(err, counts.ErrNegative):
		return 0, fmt.Sprintf("%s %s is negative", what, v)
	case errors.Is(err, counts.ErrOverflow):
		return 0, fmt.Sprintf("%s %s is out of range", what, v)
	case errors.Is(err, counts.ErrFraction):
		return 0, fmt.Sprintf("%s %s is not a whole number", what, v)
	case err == counts.ErrForm:
		return 0, fmt.Sprintf("%s %q: want a whole number such as %s", what, v, envForms)
	case err != nil:
		return 0, fmt.Sprintf("%s %q: %v", what, v, err) // 1,000: write 1000 or 1k
	case n < lo || n > hi:
		return 0, fmt.Sprintf("%s %d is out of range", what, n)
	}
	return n, ""
}

// grouped is ": " and err's advice where err is a number written in
// groups (1,000: counts.GroupedError), in digits other than ASCII's (２:
// counts.DigitsError) or with a minus sign other than ASCII's (2^64−1:
// counts.MinusError), as the count flags give it; else "".
func grouped(err error) string {
	var ge *counts.GroupedError
	var de *counts.DigitsError
	var me *counts.MinusError
	if errors.As(err, &ge) {
		return ": " + ge.Error()
	} else if errors.As(err, &de) {
		return ": " + de.Error() // １/２: write 1
	} else if errors.As(err, &me) {
		return ": " + me.Error() // 2^64−1: write 2^64-1
	}
	return ""
}

// envForms is how a shard index or count in the environment may be
// written, for messages: a count's forms (counts.Parse), with values a
// shard index or count has, where counts.Forms gives lane counts
// (5000000, 2.5M) that read as odd advice for an array's task id.
const envForms = "7, 1_000, 1e3, 1k, 2^10 or 0x10"

// fromEnv reads the index and, where the launcher gives it, the count
// (zero when it does not); from names the variables it used. count is
// auto/N's N, 0 for auto: its refusals' advice names the shard where the
// count is known.
func fromEnv(env func(string) string, count uint64) (sh Shard, from string, err error) {
	num := func(name string, min uint64) (uint64, bool, error) {
		v := strings.TrimSpace(env(name))
		if v == "" {
			return 0, false, nil
		}
		// A count's forms, as --shard auto/N takes them (1e3, 0x10);
		// GPUSIM_SHARD_COUNT=1e3 was refused where auto/1e3 was not.
		n, err := counts.Parse(v)
		switch {
		case errors.Is(err, counts.ErrOverflow) || err == nil && n < min:
			// A whole number past the range is out of range, as
			// --shard's own counts say: GPUSIM_SHARD_COUNT=2^64 and =0
			// read "is not a whole number", which they are.
			return 0, true, fmt.Errorf("%s=%q is out of range: want a whole number from %d to 2^64-1", name, v, min)
		case errors.Is(err, counts.ErrNegative):
			return 0, true, fmt.Errorf("%s=%q is negative: want a whole number from %d to 2^64-1", name, v, min)
		case err != nil:
			// With the separators' advice, as --shard gives it
			// (GPUSIM_SHARD_INDEX=1,000 had the generic message alone).
			// The range whole: "of at least 1" was said of
			// GPUSIM_SHARD_COUNT=99999999999999999999 too, which is
			// past 2^64-1, as --shard's own counts say.
			return 0, true, fmt.Errorf("%s=%q is not a whole number from %d to 2^64-1, such as %s%s", name, v, min, envForms, grouped(err))
		}
		return n, true, nil
	}
	optCount := func() (uint64, error) {
		n, _, err := num(EnvShardCount, 1)
		return n, err
	}
	if id, ok, err := num("SLURM_ARRAY_TASK_ID", 0); err != nil {
		return sh, "", err
	} else if ok {
		return fromSlurm(num, id, count)
	}
	for _, name := range []string{"JOB_COMPLETION_INDEX", EnvShardIndex} {
		i, ok, err := num(name, 0)
		if err != nil {
			return sh, "", err
		}
		if ok {
			n, err := optCount()
			if err == nil && name != EnvShardIndex {
				err = agree(num, Shard{i, n}, name, false)
			}
			return Shard{i, n}, name, err
		}
	}
	return sh, "", fmt.Errorf("no shard index in the environment (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or %s); use --shard i/N", EnvShardIndex)
}

// fromSlurm is fromEnv's shard of the Slurm array task id, from
// SLURM_ARRAY_TASK_MIN, _MAX, _STEP and _COUNT read by num; count is
// --shard auto/N's N, or 0 for plain auto. Errors name the variables and
// the --shard or --array to give instead.
func fromSlurm(num func(string, uint64) (uint64, bool, error), id, count uint64) (Shard, string, error) {
	const from = "SLURM_ARRAY_TASK_ID"
	lo, _, err := num("SLURM_ARRAY_TASK_MIN", 0)
	if err != nil {
		return Shard{}, "", err
	}
	step, hasStep, err := num("SLURM_ARRAY_TASK_STEP", 1)
	if err != nil {
		return Shard{}, "", err
	}
	if !hasStep {
		step = 1
	}
	n, hasCount, err := num("SLURM_ARRAY_TASK_COUNT", 1)
	if err != nil {
		return Shard{}, "", err
	}
	if !hasCount {
		return Shard{}, "", fmt.Errorf("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
	}
	// A list such as --array=2,4,6 gets STEP 1 from Slurm 22.05, so ID -
	// MIN is not the task's position; MAX shows that it is not a range.
	if hi, hasMax, err := num("SLURM_ARRAY_TASK_MAX", 0); err != nil {
		return Shard{}, "", err
	} else if hasMax && (hi < lo || (hi-lo)/step != n-1 || (hi-lo)%step != 0) {
		list := fmt.Sprintf("the array (SLURM_ARRAY_TASK_MIN=%d, _MAX=%d, _STEP=%d, _COUNT=%d) is a list, not a range", lo, hi, step, n)
		if count > 1 && count != n {
			// --array=3,7 under --shard auto/16: a re-run of some
			// tasks of the array, most likely. The advice to
			// submit --array=0-1 had auto/16 refuse that too
			// ("says 2 shards, not 16"): the shard is named, as
			// for a re-run of one task (below).
			return Shard{}, "", fmt.Errorf("%s, not the %d tasks that --shard auto/%d says: as a re-run of some tasks of that array, SLURM_ARRAY_TASK_ID=%d does not say which shard; use --shard %s in this task, or submit the range --array=0-%d", list, count, count, id, shardOfTask(id, count), count-1)
		}
		return Shard{}, "", fmt.Errorf("%s; submit a range such as --array=0-%d, or, re-running some tasks of a larger array, give each task its shard as --shard i/N", list, n-1)
	}
	// The array as --array writes it: MIN-MAX:STEP, MAX from MIN,
	// STEP and COUNT (as Slurm sets them for a range).
	array := fmt.Sprintf("%d-past 2^64:%d", lo, step)
	if n-1 <= (math.MaxUint64-lo)/step {
		array = fmt.Sprintf("%d-%d:%d", lo, lo+(n-1)*step, step)
	}
	if id < lo || (id-lo)%step != 0 || (id-lo)/step >= n {
		// Below MIN, between steps, or past MAX (a list such as
		// --array=1,5,9 has no arithmetic index).
		return Shard{}, "", fmt.Errorf("SLURM_ARRAY_TASK_ID=%d is not in the array %s; submit a range such as --array=0-%d", id, array, n-1)
	}
	if n == 1 && id > 0 {
		// --array=5: a re-run of one task of a larger array, most
		// likely, which Slurm describes as an array of one task:
		// auto took it for the whole job (shard 0/1), computing
		// every lane where shard 5 of 8 was meant, in silence.
		if count > 1 {
			// --shard auto/16 gives the count: the shard is
			// named, and --array=0 is not offered, as auto/16
			// refuses its array of one task too.
			return Shard{}, "", fmt.Errorf("SLURM_ARRAY_TASK_ID=%d is in an array of one task (--array=%d), not of the %d that --shard auto/%d says: as a re-run of one task of that array, it does not say which shard; use --shard %s in this task", id, id, count, count, shardOfTask(id, count))
		}
		return Shard{}, "", fmt.Errorf("SLURM_ARRAY_TASK_ID=%d is in an array of one task (--array=%d): as a re-run of one task of a larger array, it does not say which shard of how many; use --shard i/N (i the task's place in that array: %d if its task IDs began at 0 with step 1; N its task count), or --array=0 for the whole job", id, id, id)
	}
	i := (id - lo) / step
	return Shard{i, n}, from, agree(num, Shard{i, n}, from, true)
}

// shardOfTask is the --shard to give the Slurm task id of an array of
// count tasks, re-run on its own or in a list: "5/16 (the task's place in
// that array, ...)", or "i/16 (...)" where id is past the count (the array
// began past 0).
func shardOfTask(id, count uint64) string {
	if id >= count {
		return fmt.Sprintf("i/%d (i the task's place in that array, which began past 0: %d is not below %d)", count, id, count)
	}
	return fmt.Sprintf("%d/%d (the task's place in that array: %d if its task IDs began at 0 with step 1)", id, count, id)
}

// agree refuses gpusim's own variables, GPUSIM_SHARD_INDEX and (where the
// launcher from gives the count, withCount) GPUSIM_SHARD_COUNT, set beside
// the launcher's that auto took sh from and saying another shard: a loop
// over GPUSIM_SHARD_INDEX inside a Slurm array task ran the task's shard
// each time, in silence, and GPUSIM_SHARD_COUNT=8 in an array of 4 ran 4
// shards where --shard auto/8 is refused. sh.Count is 0 where the count is
// not known yet. A stray index of another launcher (JOB_COMPLETION_INDEX
// under Slurm) is left alone, as auto's order says.
func agree(num func(string, uint64) (uint64, bool, error), sh Shard, from string, withCount bool) error {
	i, ok, err := num(EnvShardIndex, 0)
	if err != nil {
		return err
	}
	n, nok, err := num(EnvShardCount, 1)
	if err != nil {
		return err
	}
	says := fmt.Sprintf("shard %d/%d", sh.Index, sh.Count)
	if sh.Count == 0 {
		says = fmt.Sprintf("index %d", sh.Index)
	}
	switch {
	case ok && i != sh.Index:
		return fmt.Errorf("%s gives %s, but %s=%d gives index %d: unset %s, or give the shard as --shard i/N", from, says, EnvShardIndex, i, i, EnvShardIndex)
	case withCount && nok && n != sh.Count:
		return fmt.Errorf("%s gives %s, but %s=%d gives %d shards: unset %s, or give the shard as --shard i/N", from, says, EnvShardCount, n, n, EnvShardCount)
	}
	return nil
}

// Run runs shard s of job on e: the lanes s.Range gives, within the lane
// range job already names (its First and Count; all lanes by default). A shard
// with no lanes, which happens when there are more shards than lanes, is not
// sent to the engine (a sim.Job with Count 0 means all lanes) but answered with an
// empty Result, so that every shard can still write its part. Errors: a
// *sim.ParamError for "shard" where s is not a shard (Count 0, Index >= Count),
// job.Range's, and the engine's.
func Run(ctx context.Context, e sim.Engine, job *sim.Job, s Shard) (*sim.Result, error) {
	if s.Count == 0 || s.Index >= s.Count {
		return nil, &sim.ParamError{Flag: "shard", Msg: fmt.Sprintf("%q is not a shard (%s)", s, shardForms)}
	}
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	off, n := s.Range(count)
	if n == 0 {
		r := sim.NewResult(e.Name(), "", job, first+off, 0)
		if m, ok := e.(sim.MathReporter); ok {
			// An empty shard of a --math fast job said exact, in its
			// report and its part.
			r.Math = m.Math()
		}
		return r, nil
	}
	j := *job
	j.First, j.Count = first+off, n
	return e.Run(ctx, &j)
}

// Overridden is a note for a run given --shard i/N explicitly (s) in an
// environment that gives another shard: the one --shard auto/N would run
// (N s's count), or, where auto/N is refused (the environment says
// another count), the one --shard auto would. s is what runs: the flag
// wins over the variables, as auto's refusals advise ("give the shard as
// --shard i/N"); GPUSIM_SHARD_INDEX=1 GPUSIM_SHARD_COUNT=2 with --shard
// 0/2 ran shard 0/2 without a word of the 1/2 the variables say. It is ""
// where the environment gives the same shard or none (no index variable,
// or ones auto refuses, whose refusal says why). env looks up a variable
// (os.Getenv).
func Overridden(s Shard, env func(string) string) string {
	auto := fmt.Sprintf("auto/%d", s.Count)
	sh, err := fromAuto(auto, s.Count, env)
	if err != nil {
		if sh, err = fromAuto("auto", 0, env); err != nil {
			return ""
		}
		auto = "auto"
	}
	if sh == s {
		return ""
	}
	var vars []string
	for _, name := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", EnvShardIndex} {
		if v := strings.TrimSpace(env(name)); v != "" {
			countVar := EnvShardCount
			if name == "SLURM_ARRAY_TASK_ID" {
				countVar = "SLURM_ARRAY_TASK_COUNT"
			}
			vars = append(vars, name+"="+v)
			// Slurm's index counts from the array's first task, by its
			// step: named where they change it, or the note read "not
			// shard 0/2" beside SLURM_ARRAY_TASK_ID=3 alone.
			if name == "SLURM_ARRAY_TASK_ID" {
				for _, m := range []struct{ name, plain string }{{"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_STEP", "1"}} {
					if x := strings.TrimSpace(env(m.name)); x != "" && x != m.plain {
						vars = append(vars, m.name+"="+x)
					}
				}
			}
			if n := strings.TrimSpace(env(countVar)); n != "" {
				vars = append(vars, countVar+"="+n)
			}
			break
		}
	}
	return fmt.Sprintf("--shard %s runs shard %s, not shard %s, which the environment gives (%s) to --shard %s: a shard given as i/N wins over the variables", s, s, sh, strings.Join(vars, ", "), auto)
}

// UnusedIndex is a note for a run without --shard in an environment where
// --shard auto would find an index (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX
// or GPUSIM_SHARD_INDEX, in auto's order), or "" where none is set or the
// launcher says the array has one task: an sbatch --array=0-15 script
// without --shard ran the whole job 16 times, and only the merge, refusing
// the overlap, said so. It is a note, not an error: an array may run a job
// of its own in each task (a seed per task, say). env looks up a variable
// (os.Getenv).
func UnusedIndex(env func(string) string) string {
	for _, name := range []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", EnvShardIndex} {
		v := strings.TrimSpace(env(name))
		if v == "" {
			continue
		}
		countVar := EnvShardCount
		if name == "SLURM_ARRAY_TASK_ID" {
			countVar = "SLURM_ARRAY_TASK_COUNT"
		}
		of := ""
		if n, err := counts.Parse(strings.TrimSpace(env(countVar))); err == nil {
			if n == 1 {
				return ""
			}
			of = fmt.Sprintf(" of %d", n)
		}
		return fmt.Sprintf("%s=%s says this is one task of an array%s, but without --shard it runs the whole job, as every task does; give --shard auto to run its shard of the lanes (or ignore this where each task runs a job of its own)", name, v, of)
	}
	return ""
}
