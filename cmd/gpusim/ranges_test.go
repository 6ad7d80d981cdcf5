package main

import (
	"context"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/internal/count"
)

// rangeKind reads and steps the values of one kind of flag: counts (and
// lists of them), floats or durations.
type rangeKind struct {
	name string
	// parse reads a value as the flag does, as a float64 for comparing ends
	// (exact for the counts and durations the help writes).
	parse func(string) (float64, error)
	// past is the text of the next value below lo (down) or above v.
	past func(v string, down bool) string
}

var (
	countKind = rangeKind{"count", func(s string) (float64, error) {
		n, err := count.Parse(s)
		return float64(n), err
	}, func(v string, down bool) string {
		n, _ := count.Parse(v)
		switch {
		case down && n == 0:
			return "-1"
		case down:
			return strconv.FormatUint(n-1, 10)
		case n == math.MaxUint64:
			return "2^64"
		}
		return strconv.FormatUint(n+1, 10)
	}}
	floatKind = rangeKind{"float", parseFloat, func(v string, down bool) string {
		f, _ := parseFloat(v)
		if down {
			return strconv.FormatFloat(math.Nextafter(f, math.Inf(-1)), 'g', -1, 64)
		}
		return strconv.FormatFloat(math.Nextafter(f, math.Inf(1)), 'g', -1, 64)
	}}
	durationKind = rangeKind{"duration", func(s string) (float64, error) {
		d, err := time.ParseDuration(s)
		return float64(d), err
	}, func(v string, down bool) string {
		d, _ := time.ParseDuration(v)
		if down {
			return (d - 1).String()
		}
		return (d + 1).String()
	}}
)

// flagKind is the kind of f's values, or false for a flag without a range
// (a name, a path, a switch).
func flagKind(f cli.Flag) (rangeKind, bool) {
	switch f := f.(type) {
	case *cli.GenericFlag:
		switch v := f.Value.(type) {
		case *countValue:
			return countKind, v.oneOf == ""
		case *floatValue:
			return floatKind, true
		case *durationValue:
			return durationKind, true
		}
	case *cli.StringFlag:
		// bench's lists of counts: "(each 1..1024)".
		return countKind, strings.Contains(f.Usage, "(each ")
	}
	return rangeKind{}, false
}

// A range as written: lo..hi, or |X| <= hi (and = another spelling of hi).
var (
	reDots   = regexp.MustCompile(`(?:^|[\s(])(-?[0-9+][^\s,;()]*?)\.\.([^\s,;()]+)`)
	reAbs    = regexp.MustCompile(`\|[A-Z]+\| <= ([^\s,;()]+)(?: = ([^\s,;()]+))?`)
	reErrRng = regexp.MustCompile(`valid range (-?[^\s,;()]+?)\.\.([^\s,;()]+)`)
)

// writtenRange is one range a help line or an error message writes: its
// ends as written (each may have a second spelling, such as 2^126 =
// 8.507059173023462e+37), and where it was written, for messages.
type writtenRange struct {
	lo, hi []string
	where  string
}

// rangesIn finds the ranges text writes.
func rangesIn(text, where string) []writtenRange {
	var rs []writtenRange
	for _, m := range reDots.FindAllStringSubmatch(text, -1) {
		rs = append(rs, writtenRange{[]string{m[1]}, []string{m[2]}, where})
	}
	for _, m := range reAbs.FindAllStringSubmatch(text, -1) {
		r := writtenRange{[]string{"-" + m[1]}, []string{m[1]}, where}
		if m[2] != "" {
			r.lo, r.hi = append(r.lo, "-"+m[2]), append(r.hi, m[2])
		}
		rs = append(rs, r)
	}
	return rs
}

// rangeJob is a small job (of run or bench, the commands whose flags have
// ranges; another command's flags alone) whose every flag but the one tested is at a
// value that lets each end of the tested flag's range through: no steps,
// so that --anchor and --persistence at float32's largest stay within
// 2^126, and everything 0 so that --start at 2^126 does. The runs start
// cancelled: only the checks before any work are reached. A switch set
// to "" in a flag's changes is left out.
func rangeJob(cmd, flag, dir string) []string {
	job := map[string]map[string]string{
		"run": {"lanes": "1", "steps": "0", "engine": "serial", "start": "0", "anchor": "0", "persistence": "0", "sigma": "0", "quiet": "true"},
		"bench": {"lanes": "1", "steps": "1", "engines": "serial", "baseline": "none", "reps": "1", "warmup": "0",
			"no-sweep": "true", "no-scaling": "true", "quiet": "true"},
	}[cmd]
	changes := map[string]map[string]string{
		"run/workers":       {"engine": "parallel"},
		"run/paths":         {"lanes": "1e6", "paths-out": filepath.Join(dir, "paths.npy")},
		"bench/sweep":       {"no-sweep": ""},
		"bench/sweep-steps": {"no-sweep": ""},
		"bench/sweep-reps":  {"no-sweep": ""},
		"bench/workers":     {"no-scaling": ""},
	}[cmd+"/"+flag]
	maps.Copy(job, changes)
	delete(job, flag)
	args := []string{cmd}
	for _, name := range slices.Sorted(maps.Keys(job)) {
		switch v := job[name]; v {
		case "":
		case "true":
			args = append(args, "--"+name)
		default:
			args = append(args, "--"+name, v)
		}
	}
	return args
}

// TestRangesTypeBack: every range the help of a command writes for a flag,
// and every range the flag's errors write, can be typed into the flag as
// written: each end (in each spelling: 2^126 and 8.507059173023462e+37) is
// accepted, the next value past it is refused with exit 2 and an error
// that writes the same range, and that range's ends are accepted too. The
// help wrote 1..2^64-1 and |T| <= 2^126, which --lanes and --start
// refused as malformed. An end that bench accepts and then refuses for
// the benchmark's time (bench --lanes 2^64-1: reTooLong) is accepted.
func TestRangesTypeBack(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	tooLong := 0
	try := func(cmd, flag, value string) (int, string) {
		args := append(rangeJob(cmd, flag, dir), "--"+flag, value)
		code, _, stderr := run(cancelled, args...)
		if code == exitUsage && reTooLong.MatchString(stderr) {
			tooLong++
			return exitTooLong, stderr
		}
		return code, stderr
	}
	app := newApp(strings.NewReader(""), nil, nil)
	checked := 0
	for _, cmd := range app.Commands {
		_, help, _ := run(context.Background(), cmd.Name, "--help")
		if cmd.Name == "run" {
			checkExamples(t, help, try)
		}
		_, help, _ = strings.Cut(help, "\nOPTIONS:") // not the description's --lanes
		for _, f := range cmd.Flags {
			kind, ok := flagKind(f)
			if !ok {
				continue
			}
			flag := f.Names()[0]
			line := regexp.MustCompile(`(?m)^\s+--` + regexp.QuoteMeta(flag) + `\b.*$`).FindString(help)
			if line == "" {
				t.Errorf("%s --help has no line for --%s", cmd.Name, flag)
				continue
			}
			ranges := rangesIn(line, cmd.Name+" --help")
			if len(ranges) == 0 {
				// Its errors gave one, --help none (--timeout).
				t.Errorf("%s --%s (%s): no range in its help: %s", cmd.Name, flag, kind.name, line)
			}
			if code, stderr := try(cmd.Name, flag, "x"); code == exitUsage {
				ranges = append(ranges, rangesIn(stderr, "the error for x")...)
			}
			for _, r := range ranges {
				checked++
				checkRange(t, cmd.Name, flag, kind, r, try)
			}
		}
	}
	if checked < 15 {
		t.Errorf("%d ranges checked, want every flag's of run and bench", checked)
	}
	if tooLong == 0 {
		// bench --lanes 2^64-1 is: the classing above is not dead code.
		t.Errorf("no value accepted by its range was refused for the benchmark's time")
	}
}

// reTooLong is bench's refusal of a benchmark that would take more than a
// year (checkBenchTime), and run's of a job (checkTime), which come after
// every flag's range check: a value they refuse was accepted by its flag's
// range (bench --lanes 2^64-1 with the job's --steps 1 would take 2.92k
// years on serial; run's, whose --steps 0 lanes count a lane-step each,
// too).
var reTooLong = regexp.MustCompile(`^gpusim: error: --[a-z-]+: (this benchmark|[0-9]+ lanes x [0-9]+ steps \([^)]*\)) would take at least [0-9.]+[kMGTPEZYRQ]? years?[ ,]`)

// exitTooLong is what TestRangesTypeBack's runs give for a value that
// reTooLong's error refused: not exitUsage, so that it counts as accepted
// as an end of a range, and a value past one is still wanted refused, with
// exit 2, for the range.
const exitTooLong = -2

// checkRange types r's ends into the flag and the values past them.
func checkRange(t *testing.T, cmd, flag string, kind rangeKind, r writtenRange, try func(cmd, flag, value string) (int, string)) {
	t.Helper()
	prefix := "gpusim: error: --" + flag + ":"
	ends := [2]float64{}
	for i, spellings := range [][]string{r.lo, r.hi} {
		for j, s := range spellings {
			v, err := kind.parse(s)
			if err != nil {
				t.Errorf("%s --%s: %s writes the end %q, which the flag reads as %v", cmd, flag, r.where, s, err)
				return
			}
			if j == 0 {
				ends[i] = v
			} else if v != ends[i] {
				t.Errorf("%s --%s: %s writes %q = %q, which read as %v and %v", cmd, flag, r.where, spellings[0], s, ends[i], v)
			}
			if code, stderr := try(cmd, flag, s); code == exitUsage {
				t.Errorf("%s --%s %s: refused, an end of the range %s writes: %s", cmd, flag, s, r.where, stderr)
			}
		}
	}
	for i, spellings := range [][]string{r.lo, r.hi} {
		past := kind.past(spellings[0], i == 0)
		code, stderr := try(cmd, flag, past)
		if code != exitUsage || !strings.HasPrefix(stderr, prefix) {
			t.Errorf("%s --%s %s, just past %s's %s: exit %d, %q; want exit 2 and %q", cmd, flag, past, r.where, spellings[0], code, stderr, prefix)
			continue
		}
		m := reErrRng.FindStringSubmatch(stderr)
		if m == nil {
			t.Errorf("%s --%s %s: the error writes no range: %s", cmd, flag, past, stderr)
			continue
		}
		for k, s := range m[1:] {
			v, err := kind.parse(s)
			if err != nil || v != []float64{ends[0], ends[1]}[k] {
				t.Errorf("%s --%s %s: the error writes the end %q (read %v, %v), %s writes %v..%v: %s", cmd, flag, past, s, v, err, r.where, ends[0], ends[1], stderr)
			}
			if code, stderr := try(cmd, flag, s); code == exitUsage {
				t.Errorf("%s --%s %s: refused, an end of the range its error writes: %s", cmd, flag, s, stderr)
			}
		}
	}
}

// checkExamples types the forms run --help says counts and numbers are
// written in into --seed (whose range is every count) and --start.
func checkExamples(t *testing.T, help string, try func(cmd, flag, value string) (int, string)) {
	t.Helper()
	m := regexp.MustCompile(`(?s)Counts are written (.*?); numbers (.*?)\.\n`).FindStringSubmatch(help)
	if m == nil {
		t.Errorf("run --help says nothing of how counts and numbers are written:\n%s", help)
		return
	}
	number := regexp.MustCompile(`[-+]?[0-9][0-9A-Za-z_.^+-]*`)
	for i, flag := range []string{"seed", "start"} {
		examples := number.FindAllString(m[i+1], -1)
		if len(examples) < 5 {
			t.Errorf("run --help: %d examples in %q", len(examples), m[i+1])
		}
		for _, e := range examples {
			if code, stderr := try("run", flag, e); code == exitUsage {
				t.Errorf("run --%s %s, a form run --help gives: %s", flag, e, stderr)
			}
		}
	}
}

// TestHelpRangesInREADME: every flag run, bench and merge --help list has a
// row in the command's table of flags in README, and each range the help
// writes for a flag is in that row, in the same spelling: the table gave
// --timeout's 0..2562047h, which the help did not, and bench's table gave
// no range for --lanes, --steps, --reps, --warmup, --workers, --sweep or
// --seed, and no row for --sweep-steps, --sweep-reps or --quiet.
func TestHelpRangesInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd     *cli.Command
		heading string // the README section whose first table lists its flags
	}{
		{runCommand(), "## `gpusim run` flags"},
		{benchCommand(), "## Benchmarks: `gpusim bench`"},
		{mergeCommand(), "## Shards, merge and Slurm"},
	} {
		table := flagTable(string(readme), c.heading)
		if table == "" {
			t.Errorf("README has no table of %s's flags under %q", c.cmd.Name, c.heading)
			continue
		}
		_, help, _ := run(context.Background(), c.cmd.Name, "--help")
		_, help, _ = strings.Cut(help, "\nOPTIONS:")
		for _, f := range c.cmd.Flags {
			flag := f.Names()[0]
			if flag == "help" {
				continue
			}
			// The flag's name, not a longer one it begins (--sweep, --sweep-steps).
			row := regexp.MustCompile(`(?m)^\|.*--` + regexp.QuoteMeta(flag) + `([^-\w].*)?$`).FindString(table)
			if row == "" {
				t.Errorf("README's table of %s's flags has no row for --%s", c.cmd.Name, flag)
				continue
			}
			if _, ok := flagKind(f); !ok {
				continue
			}
			line := regexp.MustCompile(`(?m)^\s+--` + regexp.QuoteMeta(flag) + `\b.*$`).FindString(help)
			for _, r := range rangesIn(line, c.cmd.Name+" --help") {
				for _, end := range append(append([]string{}, r.lo...), r.hi...) {
					if end = strings.TrimPrefix(end, "-"); !strings.Contains(row, end) {
						t.Errorf("%s --%s: --help writes the range end %s, README's row does not: %s", c.cmd.Name, flag, end, row)
					}
				}
			}
		}
	}
}

// flagTable is the first Markdown table after the line heading in doc,
// its rows one a line, or "" where there is none.
func flagTable(doc, heading string) string {
	_, after, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		return ""
	}
	var rows []string
	for _, line := range strings.Split(after, "\n") {
		if strings.HasPrefix(line, "|") {
			rows = append(rows, line)
		} else if len(rows) > 0 || strings.HasPrefix(line, "## ") {
			break
		}
	}
	return strings.Join(rows, "\n")
}

// TestFlagNeedsValue: every flag that takes a value, of every command,
// given last without one exits 2 before any work with "gpusim: error:
// --flag: needs a value: " and what it takes as its help says it, the
// valid range or values among it: 'gpusim run --lanes' said "needs a value"
// alone. An old flag name (--backend) has its deprecation note first.
func TestFlagNeedsValue(t *testing.T) {
	app := newApp(strings.NewReader(""), new(strings.Builder), new(strings.Builder))
	n := 0
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			d, ok := f.(cli.DocGenerationFlag)
			if !ok || !d.TakesValue() {
				continue
			}
			name := f.Names()[0]
			usage := strings.ReplaceAll(d.GetUsage(), "`", "")
			code, stdout, stderr := run(context.Background(), cmd.Name, "--"+name)
			want := "gpusim: error: --" + name + ": needs a value: " + usage + "\n"
			if now, ok := deprecatedFlags[name]; ok {
				// An old name's note comes first, before any refusal.
				want = "gpusim: note: --" + name + " is now called --" + now + "\n" + want
			}
			if code != 2 || stdout != "" || !strings.HasPrefix(stderr, want) {
				t.Errorf("gpusim %s --%s: exit %d, stdout %q, stderr %q; want exit 2 and stderr %q", cmd.Name, name, code, stdout, stderr, want)
			}
			n++
		}
	}
	if n < 30 {
		t.Errorf("%d flags that take a value checked, want every one of run, merge, bench and selftest (30 or more)", n)
	}
}
