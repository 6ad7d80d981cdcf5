package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/internal/runfiles"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge the part files of a sharded job into the job's summary",
		UsageText: "gpusim merge [--format text|json] [--files-from LIST] FILE...",
		Description: "Reads the parts that gpusim run --shard i/N --save FILE wrote and prints the\n" +
			"report a single run of the whole job prints: the same digest, count, min, max\n" +
			"and quantiles, and the mean and std to rounding. It refuses parts that are\n" +
			"damaged, of different jobs, or that miss or repeat lanes, and names them.\n" +
			"Flags go before the files: gpusim merge --format json part-*.json\n" +
			"Parts too many for one command line (Argument list too long) are named in a\n" +
			"list: printf '%s\\n' part-*.json | gpusim merge --files-from -",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "report `FORMAT`: text or json"},
			&cli.StringFlag{Name: "files-from", TakesFile: true, Usage: "merge the part files named in `LIST` too, one a line (or NUL-separated, as find -print0 writes them); - reads the list from standard input"},
		},
		Action: mergeAction,
	}
}

// partNames are the engine names a part may record, from the registry:
// the engines that run (not auto, which chooses one) for its engine, and
// every name --engine takes for its requested_engine.
func partNames() shard.Names {
	var ran []string
	for _, e := range engines.All() {
		if e.Name != "auto" {
			ran = append(ran, e.Name)
		}
	}
	return shard.Names{Engines: ran, Requested: engines.Names()}
}

func mergeAction(c *cli.Context) error {
	format, err := checkFormat(c, "text", "json")
	if err != nil {
		return err
	}
	files, note, err := mergeFiles(c)
	if err != nil {
		return err
	}
	// Before any part is read, as run's before it runs: a merge of many
	// parts to a full disk read them all and then failed at the report.
	most := func() (uint64, error) { return mergeReportMost(format, files), nil }
	if err := checkStdoutFits(c.App.Writer, "the "+format+" report", most, nil); err != nil {
		return err
	}
	if err := mergeRoom(files); err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", note)
	}
	// One part's histograms at a time: 20,000 parts took 1.4 GB. A stop
	// (Ctrl-C, SIGTERM) ends it at a part's boundary, with its status
	// and no report.
	parts, res, err := shard.MergeFiles(c.Context, files, partNames())
	if err != nil {
		return err
	}
	if format == "json" && res.Daily != nil {
		// The JSON report's per-step statistics, whose steps only the
		// parts say: counted now, before a byte of the report is
		// written (a merge of --daily parts to a disk without room for
		// them failed at the write, the report taken back out).
		steps := len(res.Daily)
		most := func() (uint64, error) {
			return count.SatAdd(mergeReportMost(format, files), count.SatMul(uint64(steps), reportJSONStep)), nil
		}
		if err := checkStdoutFits(c.App.Writer, fmt.Sprintf("the json report with --daily's %d steps", steps), most, nil); err != nil {
			return err
		}
	}
	if n := res.Params.PrecisionNote(res.Summary.Count, nil); n != "" {
		fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", n)
	}
	// The parts' finals (a job of at most sim.ExactQuantileLanes lanes)
	// make the final quantiles exact, as the single run's. No remedy is
	// named: a merge has no --out, and its parts' runs' --out files do not
	// change its quantiles (finalsNote names the parts to run again).
	if n := res.Params.HistogramNote(res.Daily != nil, res.Finals != nil, ""); n != "" {
		fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", n)
	}
	if n := finalsNote(parts, res); n != "" {
		fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", n)
	}
	// The --engine the parts were run with, as a single run reports it
	// (auto, not what auto chose).
	requested := shard.Requested(parts)
	if requested == "" {
		requested = report.RequestedUnknown
	}
	r := report.New(res, requested)
	r.Merged = &report.Merged{Parts: len(parts), Files: files, Math: res.Math, Daily: res.Daily != nil}
	if res.Math == "" {
		// Format version 1 parts do not record it, and --math fast
		// existed then: not labelled exact.
		r.Math = report.MathUnknown
	}
	r.Merged.Wall = wallTotal(parts)
	if res.Daily != nil {
		r.SetDaily(daily.Table(res.Params, res.Daily))
	} else if with := slices.DeleteFunc(slices.Clone(parts), func(p *shard.Part) bool { return p.Daily == nil }); len(with) > 0 {
		j := slices.IndexFunc(parts, func(p *shard.Part) bool { return p.Daily == nil })
		which := fmt.Sprintf("%q", with[0].Path)
		if len(with) > 1 {
			// Every part's are lost, not the first's: say how many.
			which = fmt.Sprintf("%d parts (%q and %d more)", len(with), with[0].Path, len(with)-1)
		}
		fmt.Fprintf(c.App.ErrWriter, "gpusim: note: the per-step statistics of %s are not merged: %q has none (run every shard with --daily)\n", which, parts[j].Path)
	}
	return writeMerged(c, format, r)
}

// mergeRoom refuses, before any part is read, a merge of files that does
// not fit under the address-space limit (ulimit -v): the most it holds
// at once (shard.MergeMemory: the sums and one part read, of the largest
// file) with Go's heap slack (sysmem.HeapSlack), against what the limit
// leaves; or whose least held (shard.MergeFloor) does not fit in what its
// cgroup's memory limit leaves (cgroupRoom). Else it lowers Go's memory limit to that need
// (sysmem.CapHeap), so that the heap stays near what the merge holds and
// the slack is left for what Go maps beyond it. Before, a merge under a
// limit it did not fit in started, and died in Go's runtime ("runtime:
// out of memory: cannot allocate 33554432-byte block"), and merges of
// eight parts of 20 MB died so under ulimit -v 1750000 in CI now and
// then, where they fit, their heap let grow to the whole room.
func mergeRoom(files []string) error {
	need, want, _ := shard.MergeMemory(files)
	limit, mapped, limited := sysmem.AddressSpace()
	if room := limit - min(mapped, limit); limited && room < want {
		return &envError{name: "ulimit -v",
			msg: fmt.Sprintf("the address-space limit (ulimit -v %d, %s) leaves %s once Go's runtime has started, under the %s this merge needs (the sums of the histograms and a part read, of the largest part, with Go's heap slack): raise it to %s",
				limit>>10, diskfree.SizeText(limit), diskfree.SizeText(room), diskfree.SizeText(want), sysmem.RaiseLimit(limit, mapped+want-limit)),
			hint: "Go's runtime reserves about 1.2 GB of address space as it starts, before any of gpusim runs; lift the limit with ulimit -v unlimited, or merge where it is higher"}
	}
	if err := cgroupRoom(shard.MergeFloor(files), cgroupMemory); err != nil {
		return err
	}
	sysmem.CapHeap(need)
	return nil
}

// cgroupMemory is the memory limit of the process's cgroups that leaves
// the least room (sysmem.CgroupMemory); tests replace it.
var cgroupMemory = sysmem.CgroupMemory

// cgroupRoom refuses a merge that keeps at least need bytes resident at
// its peak (shard.MergeFloor) where the memory limit of its cgroup that
// leaves the least room (limit: memory.max, or v1's
// memory.limit_in_bytes, as a container, a systemd scope or a Slurm job
// sets it) leaves less than that beside what the cgroup uses already
// (this process among it, its page cache not: the kernel reclaims it).
// Such a merge was let start, its heap capped only by Go's soft limit,
// and the kernel's OOM killer ended it where the memory ran out, part-way,
// exit 137 and no report. It counts the memory the merge holds, not the
// address space: a cgroup's limit is on the pages used. need is a lower
// bound, so that only a merge that cannot fit is refused (the heap's size,
// shard.MergeMemory's need, refused merges that fit), and a cgroup that
// may swap (CgroupLimit.Swap) refuses nothing: past its limit it swaps,
// rather than the OOM killer ending the merge.
func cgroupRoom(need uint64, limit func() (sysmem.CgroupLimit, bool)) error {
	c, ok := limit()
	if !ok || c.Swap || c.Room() >= need {
		return nil
	}
	// As much more as the merge lacks, and a heap arena of Go's
	// (sysmem.StartSpread) for what one start uses more than another,
	// rounded up to 10 MB.
	const step = 10_000_000
	want := count.SatAdd(count.SatAdd(c.Limit, need-c.Room()), sysmem.StartSpread)
	want = count.SatMul(count.SatAdd(want, step-1)/step, step)
	return &envError{name: "memory",
		msg: fmt.Sprintf("the cgroup's memory limit (%s of %s, %s) leaves %s beside the %s its processes use, under the %s this merge holds at the least (5 bytes a byte of the largest part): raise it to %s (%d) or more",
			c.File, c.Dir, diskfree.SizeText(c.Limit), diskfree.SizeText(c.Room()), diskfree.SizeText(c.Used), diskfree.SizeText(need), diskfree.SizeText(want), want),
		hint: "past its limit the kernel's OOM killer ends the merge (exit 137, no report); raise it where the job is started (systemd-run -p MemoryMax=, docker run --memory, Slurm's --mem, a Kubernetes pod's memory limit), or merge where there is more memory"}
}

// finalsNote is the note of a merge res of a job of at most
// sim.ExactQuantileLanes lanes whose quantiles are interpolated in the
// histogram, where its single run's, and a merge of parts that all saved
// their finals, are exact: it names the parts of lanes without finals (of
// a gpusim before part format version 6), which made them so. Before, the
// report's footnote said interpolated, and nothing said why or which part.
// "" where the quantiles are exact or the job is larger.
func finalsNote(parts []*shard.Part, res *sim.Result) string {
	if res.Finals != nil || res.Params.Lanes > sim.ExactQuantileLanes {
		return ""
	}
	var without []*shard.Part
	for _, p := range parts {
		if p.Count > 0 && p.Finals == nil {
			without = append(without, p)
		}
	}
	if len(without) == 0 {
		return ""
	}
	which := fmt.Sprintf("%q has", without[0].Path)
	if len(without) > 1 {
		which = fmt.Sprintf("%d parts (%q and %d more) have", len(without), without[0].Path, len(without)-1)
	}
	return fmt.Sprintf("the quantiles are interpolated in the histogram, not the lanes' own that a single run of this job of %d lanes reports: %s no finals (a part of a gpusim before part format version 6; run its shard again with this gpusim)", res.Params.Lanes, which)
}

// writeMerged prints the merge's report r in format past its commit point,
// as a run prints its own once its files are in place: a stop (Ctrl-C,
// SIGTERM, SIGHUP, SIGQUIT) that came before it ends the merge with its
// status and no report, and one that comes later no longer cuts the
// report short, which is printed whole, with a note that the stop was
// ignored. Before, a stop while a slow reader (a pipe, a paused terminal)
// held the report's write ended the merge 0.6 s later (the forced exit)
// with part of the report printed and the signal's status. A reader of
// stdout that is gone (SIGPIPE) still ends it, as it does a run.
func writeMerged(c *cli.Context, format string, r *report.Report) error {
	ctx := c.Context
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	interrupt.Settle()
	err := writeReport(c.App.Writer, format, r)
	if cause := context.Cause(ctx); cause != nil && !interrupt.BrokenPipe(cause) {
		fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %v after the merge was complete: ignored\n", cause)
	}
	return err
}

// mergeFiles is the part files merge is given: its arguments, then those
// --files-from lists. The arguments are checked as a command line (a name
// that starts with "-" is a misplaced flag, "" an unset variable); no part
// may be the file stdout goes to, and each must be there, open for
// reading and named once (shard.CheckFiles), or merge exits 2 before it
// reads any. note, where not "", is for stderr once every check before
// the merge passed: an empty --files-from list beside the command line's
// parts, which preceded the refusal of a part that is not there.
func mergeFiles(c *cli.Context) (files []string, note string, err error) {
	// After "--" every name is a part, "-x.json" too (it was refused as a
	// flag, "--" or not). The flag parser drops a "--" before the first
	// name, so a first name that begins with "-" came after one (a flag
	// there is parsed, or refused as unknown); a "--" after names is
	// dropped here.
	args := c.Args().Slice()
	literal := len(args) > 0 && args[0] != "-" && strings.HasPrefix(args[0], "-")
	for _, f := range args {
		if f == "--" && !literal {
			literal = true
			continue
		}
		files = append(files, f)
		if literal && f != "-" && f != "" {
			continue
		}
		if f == "-" {
			// Standard input's usual name, not a flag: alone, it read as
			// one "after the part files".
			return nil, "", &usageError{msg: `"-": merge reads part files, not standard input`, hint: "name the files, or /dev/stdin for a part piped in: gpusim merge /dev/stdin part-1.json"}
		}
		if strings.HasPrefix(f, "-") {
			if st, err := os.Stat(f); err == nil && !st.IsDir() {
				// A part whose name starts with "-" (bench's children
				// under TMPDIR=-x) read as a flag after the files,
				// "--" or not: the hint said flags go before them.
				return nil, "", &usageError{msg: fmt.Sprintf("%q: a part file whose name starts with \"-\" reads as a flag", f), hint: "name it ./" + f}
			}
			return nil, "", &usageError{msg: fmt.Sprintf("%q after the part files: flags go before them", f), hint: "e.g. gpusim merge --format json part-*.json"}
		}
		if strings.TrimSpace(f) == "" {
			// An unset variable in merge "$DIR/part-0.json" "$PART" read
			// as "open : no such file or directory", exit 1; a name of
			// spaces only, which run --save refuses as empty, as a part
			// that is not there.
			msg := "an empty part file name"
			if f != "" {
				msg += fmt.Sprintf(", %q", f)
			}
			return nil, "", &usageError{msg: msg, hint: "e.g. gpusim merge --format json part-*.json"}
		}
	}
	named := len(files)
	noParts := &usageError{msg: "merge needs the part files to merge, got none", hint: "e.g. gpusim merge --format json part-*.json"}
	// A blank list's name is the command line's own fault, said before
	// the limits: under ulimit -n 12, --files-from '' was refused for the
	// limit.
	if c.IsSet("files-from") && isBlank(c.String("files-from")) {
		return nil, "", blankList(c.String("files-from"))
	}
	// The parts and a list are opened from here: not in argsRefused's
	// pass, which says only what the command line itself lacks.
	if err := argsChecked(c.Context); err != nil {
		if named == 0 && !c.IsSet("files-from") {
			return nil, "", noParts
		}
		// A list or a named part that is not there, a folder or a part
		// named twice is the command line's fault, said before the
		// limits, in the order of the checks below, with os.Stat alone
		// (listStatError, shard.CheckNames).
		if lerr := listStatError(c); lerr != nil {
			return nil, "", lerr
		}
		if ferr := shard.CheckNames(files); ferr != nil {
			return nil, "", partsError(c, ferr, files, named)
		}
		return nil, "", err
	}
	files, note, err = addListFiles(c, files)
	if err != nil {
		return nil, "", err
	}
	if len(files) == 0 {
		return nil, "", noParts
	}
	if err := stdioParts(c, files); err != nil {
		return nil, "", err
	}
	// A part that is not there (a typo, a shard that saved none), a
	// folder, a file merge may not open or one named twice is a bad name
	// on the command line (or in a list): it was refused only once every
	// part before it had been read, exit 1, as a damaged part is.
	if err := shard.CheckFiles(files); err != nil {
		return nil, "", partsError(c, err, files, named)
	}
	return files, note, nil
}

// partsError is merge's refusal of its part files for err, shard.CheckFiles'
// or shard.CheckNames' error, the first named of files on the command line
// and the rest from --files-from: a hint to run a missing shard again, or
// where the list's names are in the list's folder, to name them from there.
func partsError(c *cli.Context, err error, files []string, named int) error {
	hint := ""
	if errors.Is(err, fs.ErrNotExist) {
		hint = "a shard that saved no part is run again with --shard i/N and the job's other flags"
		if h := besideList(c.String("files-from"), files[named:]); h != "" {
			hint = h
		}
	}
	return &usageError{msg: err.Error(), hint: hint}
}

// besideList is the hint for parts that the --files-from list names by
// names relative to the current folder, which are not there, but are in
// the list's own folder: the names are read from the current folder (as
// tar -T and xargs read them), and merge --files-from /data/job/parts.list
// run elsewhere said to run those shards again. It is "" where no such
// part is there.
func besideList(list string, listed []string) string {
	dir := filepath.Dir(list)
	if list == "-" || dir == "." {
		return ""
	}
	for _, f := range listed {
		if filepath.IsAbs(f) {
			continue
		}
		if _, err := os.Lstat(f); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return fmt.Sprintf("the names in a --files-from list are read from the current folder, not the list's: %q is in %q (run merge there, or write the names with their folder)", f, dir)
		}
	}
	return ""
}

// addListFiles is files, the parts named on the command line, and those
// the --files-from list names after them, where it is given; note is for
// stderr, once the files are checked (stdioParts): a list that names none
// beside the command line's parts.
func addListFiles(c *cli.Context, files []string) (all []string, note string, err error) {
	list := c.String("files-from")
	if !c.IsSet("files-from") {
		return files, "", nil
	}
	if err := stdinTwice(list, files, c.App.Reader); err != nil {
		return nil, "", err
	}
	if isStdio(list, nil, c.App.ErrWriter) != "" {
		// merge --files-from l.lst 2>> l.lst: a note or an error
		// written into the list.
		return nil, "", stderrInFile([]string{list}, paramErr("files-from", "%q is also the file stderr goes to: gpusim's notes and errors would be written into the list (redirect stderr to another file)", list))
	}
	more, err := readFileList(c.Context, list, c.App.Reader, c.App.Writer)
	if errors.Is(err, errNoNames) && len(files) > 0 {
		// An empty list beside parts named on the command line (a find
		// that matched none beyond them): those are merged (it was
		// refused), with a note, as a glob that matched nothing may
		// have meant the list to name them (the merge's coverage check
		// then names the shards it lacks).
		return files, fmt.Sprintf("--files-from %q names no part files: merging the %s named on the command line", list, count.Noun(len(files), "part")), nil
	}
	if err != nil {
		return nil, "", err
	}
	if err := stdinTwice(list, more, c.App.Reader); err != nil {
		return nil, "", err
	}
	return append(files, more...), "", nil
}

// stdioParts refuses, before any part is read, a part that stdout or
// stderr goes to. merge p0.json p1.json >> p1.json appended the report to
// the part, exit 0, and the next merge refused it as damaged; merge
// p0.json p1.json 2>> p1.json appended its notes, or an error about
// another part, to p1.json. The refusal of a part that stderr goes to is
// written to stdout instead (stderrInFile), so that the part is left as
// it was.
func stdioParts(c *cli.Context, files []string) error {
	// Each file is stat'ed once, and only where a stream is a regular
	// file or a FIFO (a terminal is no part's): a Slurm job's stdout and
	// stderr are files, and its lists name tens of thousands of parts. A
	// FIFO that stderr goes to and that is a part (merge p0.json f 2> f,
	// a reader of f started) was read as one, which waited for ever on
	// what the merge would write into it.
	out, errs := streamInfo(c.App.Writer), streamInfo(c.App.ErrWriter)
	if out == nil && errs == nil {
		return nil
	}
	stdout := ""
	for _, f := range files {
		fi, err := os.Stat(f)
		switch {
		case err != nil:
		case errs != nil && os.SameFile(fi, errs):
			return stderrInFile(files, &usageError{msg: fmt.Sprintf("%q is a part to merge and also the file stderr goes to: gpusim's notes and errors would be written into it", f), hint: "redirect stderr to a file that is not a part, e.g. gpusim merge part-*.json 2> merge.log"})
		case out != nil && stdout == "" && os.SameFile(fi, out):
			stdout = f
		}
	}
	if stdout != "" {
		msg := fmt.Sprintf("%q is a part to merge and also the file stdout goes to: the report would be written into it", stdout)
		if out.Mode().IsRegular() && out.Size() == 0 {
			msg += " (the redirection has already emptied it: save that part again)"
		}
		return &usageError{msg: msg, hint: "redirect stdout to a file that is not a part, e.g. gpusim merge part-*.json > result.txt"}
	}
	return nil
}

// stdinTwice refuses parts that read what the list of --files-from is
// read from, before any part is read. Where the list is standard input
// (list "-"), a part that is standard input too (readsStdin) read as an
// empty file, with advice to run its shard again (printf 'p0.json\n' |
// gpusim merge --files-from - /dev/stdin). Where the list is a file, a
// part that is that file by any name (os.SameFile: the list's own name,
// /dev/stdin where stdin is the list, a link, a list that names itself)
// is refused whatever kind of file it is: a pipe, FIFO or terminal that
// the list's read empties, and a regular file too, which was read and
// refused as a damaged part (exit 1) where the command line was at fault.
func stdinTwice(list string, files []string, in io.Reader) error {
	if list != "-" {
		li, err := os.Stat(list)
		if err != nil {
			return nil
		}
		for _, f := range files {
			fi, err := os.Stat(f)
			if err != nil || !os.SameFile(li, fi) {
				continue
			}
			if li.Mode().IsRegular() {
				same := ""
				if f != list {
					same = fmt.Sprintf(", by the name %q", f)
				}
				return paramErr("files-from", "%q, the list of parts, is also given as a part%s: a list is not a part (name the parts, not the list)", list, same)
			}
			return paramErr("files-from", "%q, the list of parts, is a pipe or FIFO, and the part %q reads it too: one read would empty it for the other (give the list as a file, or the part by its own name)", list, f)
		}
		return nil
	}
	for _, f := range files {
		if !readsStdin(f, in) {
			continue
		}
		if st, ok := in.(*os.File); ok {
			if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
				return paramErr("files-from", "- reads the list of parts from standard input, and the part %q is that list too: a list is not a part (name the parts, not the list)", f)
			}
		}
		return paramErr("files-from", "- reads the list of parts from standard input, and the part %q is standard input too: one read would empty it for the other (give the list as a file, or the part by its own name)", f)
	}
	return nil
}

// readsStdin says whether the file f is what in, standard input, reads:
// /dev/stdin, /dev/fd/0 or another name of its file or pipe.
func readsStdin(f string, in io.Reader) bool {
	file, ok := in.(*os.File)
	if !ok {
		return f == "/dev/stdin" || f == "/dev/fd/0" || f == "/proc/self/fd/0"
	}
	a, err := os.Stat(f)
	if err != nil {
		return false
	}
	b, err := file.Stat()
	return err == nil && os.SameFile(a, b)
}

// wallTotal is the parts' wall times in seconds, summed as durations:
// their seconds summed as float64s wrote 0.7496746999999999. A sum past
// time.Duration's 292 years (parts of up to that each pass ReadPart) is
// summed in float64 seconds: it wrapped to a negative total.
func wallTotal(parts []*shard.Part) float64 {
	var wall time.Duration
	for _, p := range parts {
		if p.Wall > math.MaxInt64-wall {
			var s float64
			for _, p := range parts {
				s += p.Wall.Seconds()
			}
			return s
		}
		wall += p.Wall
	}
	return wall.Seconds()
}

// maxListBytes bounds a --files-from list: 1,000,000 names of 64 bytes.
const maxListBytes = 64 << 20

// blankList is the refusal of --files-from given empty or blank.
func blankList(list string) error {
	return blankValue("files-from", list, "a file name such as parts.list", "a file that names the parts one a line, or - for standard input")
}

// readFileList reads the part files a --files-from list names: one a line,
// or, where the list holds a NUL byte (find -print0, which a name with a
// newline needs), one between each NUL. A line's ending may be CRLF (a list
// written on Windows, or by a tool that ends lines so): its carriage return
// is no part of the name, which merge had looked for as "p1.json\r" (a
// name that ends in one needs the NUL form). Empty entries are skipped (a
// last line's newline, find -print0's last NUL). "-" reads standard input. It
// exists for jobs of more parts than a command line holds: execve(2)
// refuses arguments over ARG_MAX (2 MiB under the default 8 MiB stack), some
// 35,000 names of docs/cluster.md's Slurm example's length, where printf, a
// shell builtin, has no such limit. A stop (ctx: Ctrl-C, SIGTERM) while
// it waits for the list (standard input a pipe whose writer has not
// finished, a FIFO no writer has opened) returns its cause at once.
func readFileList(ctx context.Context, list string, stdin io.Reader, stdout io.Writer) ([]string, error) {
	var read func() ([]byte, error)
	switch {
	case isBlank(list):
		// In the words of every file flag's empty value (--save ''),
		// where it said "an empty list file name".
		return nil, blankList(list)
	case list == "-":
		read = func() ([]byte, error) { return io.ReadAll(io.LimitReader(stdin, maxListBytes+1)) }
	case isStdio(list, stdout, nil) != "":
		// merge --files-from list.txt > list.txt: the shell has
		// emptied the list before merge reads it; with >> it has not,
		// and the report would be appended to the list (it was told
		// the list had been emptied all the same).
		msg := fmt.Sprintf("%q is also the file stdout goes to: the report would be written into it", list)
		if st, err := os.Stat(list); err == nil && st.Size() == 0 {
			msg = fmt.Sprintf("%q is also the file stdout goes to: the shell emptied it before merge could read it", list)
		}
		return nil, paramErr("files-from", "%s (redirect stdout to another file)", msg)
	default:
		read = func() ([]byte, error) {
			f, err := os.Open(list)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return io.ReadAll(io.LimitReader(f, maxListBytes+1))
		}
	}
	data, err := readContext(ctx, read)
	if cause := context.Cause(ctx); cause != nil && errors.Is(err, cause) {
		return nil, err
	}
	if err != nil {
		return nil, listError(list, err)
	}
	if len(data) > maxListBytes {
		// /dev/zero was read until memory ran out.
		return nil, paramErr("files-from", "%q: over %s, more than a list of part files", list, diskfree.SizeText(maxListBytes))
	}
	files, err := parseFileList(list, data)
	if list == "-" && errors.Is(err, errNoNames) && isDevNull(stdin) {
		// A closed stdin (<&-), which Go's runtime replaces with
		// /dev/null, or one redirected from it (a batch script's job
		// with no input): it read ""-" names no part files", as an
		// empty list does.
		return nil, &noNamesError{paramErr("files-from", `"-" names no part files: standard input is /dev/null (closed, <&-, or redirected from it), not a list; pipe the list in: printf '%%s\n' part-*.json | gpusim merge --files-from -`)}
	}
	return files, err
}

// listError is readFileList's refusal of the list it could not read, or
// that os.Stat could not find (listStatError), for err.
func listError(list string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		// A missing list named with spaces around it (--files-from ' ',
		// "$DIR /parts.list") is refused as the output flags refuse
		// such a name, naming the spaces: it read "no such file or
		// directory". One that is there is read.
		if err := runfiles.CheckName(runfiles.Path{Flag: "files-from", Path: list}); err != nil {
			return err
		}
		if atomicfile.WorkdirGone(list) {
			// It read "--files-from: "l.lst": no such file or directory".
			return paramErr("files-from", "%q: %s", list, atomicfile.WorkdirGoneText)
		}
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // the name is in the message already
	}
	if d := atomicfile.NonFolderOnPath(list); list != "-" && d != "" {
		// It read "--files-from: "a.txt/l.lst": not a directory".
		return paramErr("files-from", "%q: %q is not a folder", list, d)
	}
	return paramErr("files-from", "%q: %v", list, err)
}

// listStatError is readFileList's refusal of a --files-from list that is
// not there, found with os.Stat alone for argsRefused's pass, which opens
// no file: under ulimit -n 12, merge --files-from /nonexist.list was
// refused for the limit. nil for "-" and a list that is there, which is
// read after the limit.
func listStatError(c *cli.Context) error {
	list := c.String("files-from")
	if !c.IsSet("files-from") || list == "-" {
		return nil
	}
	if _, err := os.Stat(list); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return listError(list, err)
	}
	return nil
}

// parseFileList splits a --files-from list's data into the names it
// holds (readFileList). A list a Windows tool wrote may begin with a
// UTF-8 byte order mark (Notepad, PowerShell's -Encoding utf8), which is
// skipped: it had been read into the first name, "\ufeffp0.json", and
// merge told the user to run again a shard whose part was there. A
// UTF-16 list (PowerShell 5.1's > and Out-File) is refused: its NULs
// had it read as the -print0 form, each character a name of its own ("16
// of 16 part files cannot be merged"). It is refused, not decoded: a
// list is UTF-8, as it is everywhere else, and a guess at a list without
// a byte order mark fails here, before any part is read, rather than
// merging names it made up.
func parseFileList(list string, data []byte) ([]string, error) {
	if enc := shard.UTF16Form(data); enc != "" {
		return nil, paramErr("files-from", "%q is %s, not UTF-8 (PowerShell 5.1's > and Out-File write UTF-16): write the list as UTF-8 (Out-File -Encoding utf8, Set-Content -Encoding ascii) or with printf", list, enc)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		// A part given for the list read each of its lines as a name.
		return nil, paramErr("files-from", "%q is a JSON file (a part?), not a list of part files, one a line", list)
	}
	sep := "\n"
	if bytes.IndexByte(data, 0) >= 0 {
		sep = "\x00"
	}
	var files []string
	for i, f := range strings.Split(string(data), sep) {
		if sep == "\n" {
			f = strings.TrimSuffix(f, "\r")
		}
		if f == "-" {
			// As on the command line: it was opened as a file named
			// "-", which was not there, and a shard was to be run again.
			return nil, paramErr("files-from", "%q names \"-\" (entry %d): merge reads part files, not standard input (name a part piped in /dev/stdin, in a list that is not read from it)", list, i+1)
		}
		t := strings.TrimSpace(f)
		if t == "" {
			// A line of spaces names no file, as an empty one (it was
			// opened as a file of that name, not there, and a shard
			// was to be run again).
			continue
		}
		if sep == "\n" && strings.Contains(f, "\r") {
			// Lines ended by CR alone (classic Mac OS, some exports):
			// the whole list read as one name, not there, with the
			// hint to run a shard again.
			if _, err := os.Lstat(f); err != nil {
				return nil, paramErr("files-from", "%q names %q (entry %d), with a carriage return inside, and no file of that name is there: end the list's lines with LF or CRLF, not CR alone", list, f, i+1)
			}
		}
		if strings.HasPrefix(t, "#") {
			// A comment (# parts of job 42): a file may be named so,
			// but where none is, it is refused as one, naming the
			// line (it was opened, not there, with the hint to run
			// a shard again).
			if _, err := os.Lstat(f); err != nil {
				return nil, paramErr("files-from", "%q names %q (entry %d), and no file of that name is there: a list holds part files' names, one a line, and no comments (delete the line)", list, f, i+1)
			}
		}
		if t != f {
			// Spaces around a name (a list edited by hand, a
			// formatter's padding): a file may be named so, but
			// where none is, it is refused naming the line, not
			// opened and taken for a missing part.
			if _, err := os.Lstat(f); err != nil {
				return nil, paramErr("files-from", "%q names %q (entry %d), with spaces around it, and no file of that name is there: write one name a line, without spaces around it", list, f, i+1)
			}
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, &noNamesError{paramErr("files-from", "%q names no part files (one a line, or NUL-separated as find -print0 writes them)", list)}
	}
	return files, nil
}

// errNoNames matches a --files-from list that names no part files
// (noNamesError), which is an error only where the command line names
// none either.
var errNoNames = errors.New("the list names no part files")

// noNamesError is parseFileList's error for a list that names no part
// files: the *sim.ParamError it prints as, matching errNoNames.
type noNamesError struct{ error }

func (e *noNamesError) Unwrap() []error { return []error{e.error, errNoNames} }

// readContext is read's result, or ctx's cause as soon as ctx is done
// before it: a read blocked on a pipe or FIFO cannot be cut, and was the
// one wait of merge that a Ctrl-C did not end (only the forced exit
// did, interrupt.StopGrace later). The read goes on in its goroutine
// until it returns, its result dropped; the process is on its way out.
func readContext(ctx context.Context, read func() ([]byte, error)) ([]byte, error) {
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := read()
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
