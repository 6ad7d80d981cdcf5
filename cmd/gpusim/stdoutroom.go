package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/internal/report"
	"github.com/gpusim/gpusim/internal/runfiles"
)

// Bounds of a run's report on stdout, in bytes (reportMost). Measured: the
// text report of the default job takes 1.0 kB, with --daily 2.8 kB at any
// number of steps (its table shows a few of them); the JSON one 1.9 kB,
// with --daily 522 bytes a step at most over 10000 steps whose numbers are
// all at their longest (--start -1e30 --anchor -1.234567e-30 --sigma
// 1.2345678e-25), about 17 numbers of at most 24 characters and 250 of
// keys and indents a step. auto's reason, the longest part, is under 1 kB
// but for a machine of many devices.
const (
	reportBase      = 16 << 10 // any report, auto's reason at its longest
	reportTextDaily = 8 << 10  // the text report's table of steps
	reportJSONStep  = 1 << 10  // a step of the JSON report's daily array
	// reportNames is what reportBase holds of the lines that name the
	// output files (report.NamesMost), past the 3 kB of the rest at
	// their longest: seven names of 400 bytes.
	reportNames = 4 << 10
)

// reportMost is the most bytes the report of a run takes on stdout in
// format (text or json), with per-step statistics of steps steps (daily),
// naming the output files names (report.NamesMost), of which reportBase
// holds reportNames: a name is as long as its path (4 kB, 16 kB quoted
// where its bytes are not UTF-8), which reportBase did not count.
func reportMost(format string, daily bool, steps int, names []string) uint64 {
	most := uint64(reportBase) + report.NamesMost(names) - min(report.NamesMost(names), reportNames)
	switch {
	case daily && format == "json":
		most += uint64(steps) * reportJSONStep
	case daily:
		most += reportTextDaily
	}
	return most
}

// mergeReportMost is the most bytes the report of a merge of files takes
// on stdout in format, bounded before any part is read: a run's report
// (reportMost), with the text report's table of steps (the parts may keep
// per-step statistics), and in JSON the files' names, each as
// encoding/json escapes it on a line of its own in merged.files. The JSON
// report's per-step statistics, whose steps only the parts say, are not
// counted here: merge counts them once the parts are read, before the
// report is written (reportJSONStep a step).
func mergeReportMost(format string, files []string) uint64 {
	most := reportMost(format, format != "json", 0, nil)
	if format == "json" {
		for _, f := range files {
			b, _ := json.Marshal(f)
			most = count.SatAdd(most, uint64(len(b)+len("      ,\n")))
		}
	}
	return most
}

// checkStdoutRoom refuses, before the run, a report that stdout cannot
// take (checkStdoutFits): the run's report in format (text or json) with
// per-step statistics of steps steps (daily), at most reportMost. A run of
// hours onto a full disk lost its report after it, all but the digest,
// which the error names; so did a run whose report and --out each fitted
// the disk alone.
func checkStdoutRoom(w io.Writer, format string, daily bool, steps int, names []string, taken takenFunc) error {
	what := "the " + format + " report"
	if daily {
		what += fmt.Sprintf(" with --daily's %d steps", steps)
	}
	most := func() (uint64, error) { return reportMost(format, daily, steps, names), nil }
	return checkStdoutFits(w, what, most, taken)
}

// takenFunc is what a command's output files take on the file system of
// the device dev, where room is left beside the report
// (runfiles.Result.TakenOn): n bytes, bounded where n is a bound, and the
// files as the errors name them.
type takenFunc func(dev, room uint64) (n uint64, bounded bool, files []string)

// checkStdoutFits refuses, before a command's work, a report (what: "the
// text report") of at most most() bytes that stdout cannot take: where it
// is a regular file written at its end (gpusim run > r.json), one whose
// file system has less free space than that, in whole blocks and one
// more, beside what the command's output files take there (taken, nil for
// none: they take their room first, before the report is printed), or
// whose size would pass the file-size limit (ulimit -f). It is the one
// check of stdout's room of every command that prints a report after its
// work (run, bench, merge, selftest). most is called only where stdout is such a
// file. Nothing is refused where the room is not known. The error prints
// as gpusim: error: stdout: ..., exit 2.
func checkStdoutFits(w io.Writer, what string, most func() (uint64, error), taken takenFunc) error {
	f, ok := stdoutFile(w)
	if !ok {
		return nil
	}
	if err := checkStdoutTakes(w, what); err != nil {
		return err
	}
	start, atEnd := outputStart(f)
	if !atEnd {
		return nil
	}
	bound, err := most()
	if err != nil {
		return err
	}
	if free, block, dev, ok := diskfree.FreeOf(f); ok {
		report := (bound+block-1)/block*block + block
		need, files := report, ""
		var n uint64
		var bounded bool
		if free >= report && taken != nil {
			// The output files first, as they take the room before the
			// report: each at its largest, or closer where those do not
			// fit beside it.
			var outs []string
			if n, bounded, outs = taken(dev, free-report); n > free-report {
				need = count.SatAdd(report, n)
				files = runfiles.JoinList(outs)
			}
		}
		if free < need {
			needText, freeText := diskfree.SizesText(need, free)
			room := needText + " of disk space"
			if files != "" {
				upTo := ""
				if bounded {
					upTo = "up to "
				}
				room = fmt.Sprintf("%s of disk space and %s %s%s there, %s in all", diskfree.SizeText(report), files, upTo, diskfree.SizeText(n), needText)
			}
			return &envError{name: "stdout", msg: fmt.Sprintf("%s may need up to %s, but the file system of the file stdout goes to (%s) has %s free", what, room, stdoutName(f), freeText),
				hint: "free space there, or send stdout elsewhere"}
		}
	}
	if limit, limited := diskfree.FileLimit(); limited && uint64(start)+bound > limit {
		return &envError{name: "stdout", msg: fmt.Sprintf("%s may take up to %d bytes, but the file stdout goes to (%s) holds %d and the file-size limit (ulimit -f) is %d bytes", what, bound, stdoutName(f), start, limit),
			hint: "raise the limit (ulimit -f unlimited), or send stdout elsewhere"}
	}
	return nil
}

// checkStdoutTakes refuses, before a command's work, a stdout that no write
// can go to: Linux's /dev/full (alwaysFull), found by its device numbers.
// A run there ran whole and then failed at its report's write, exit 1;
// now every command that prints a report (run, merge, bench, selftest,
// devices) is refused first, exit 2, as a full disk is (checkStdoutFits).
func checkStdoutTakes(w io.Writer, what string) error {
	f, ok := stdoutFile(w)
	if !ok || !alwaysFull(f) {
		return nil
	}
	return &envError{name: "stdout", msg: fmt.Sprintf("%s cannot be written: stdout goes to %s, where every write fails (no space left on device)", what, stdoutName(f)),
		hint: "send stdout to a file, a pipe or /dev/null"}
}

// stdoutFile is the file under w, the CLI's stdout (trackedWriter).
func stdoutFile(w io.Writer) (*os.File, bool) {
	if t, ok := w.(*trackedWriter); ok {
		w = t.w
	}
	f, ok := w.(*os.File)
	return f, ok
}

// stdoutName is the path of f where the system says it (Linux's
// /proc/self/fd), else its name as opened, quoted where it is not plain
// (quote.Printable), as the report quotes the files it names.
func stdoutName(f *os.File) string {
	if p, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd())); err == nil {
		return quote.Printable(p)
	}
	return quote.Printable(f.Name())
}
