package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/sim"
)

// selftestOptions are the flags of gpusim selftest.
type selftestOptions struct {
	Device string // "all" or a list of indices
	Format string // text or json
	// Hint is the hint for an error, worded for selftest (hintText), or
	// "": the JSON's, beside the error's text. nil: none.
	Hint func(error) string
}

func selftestCommand() *cli.Command {
	return &cli.Command{
		Name:      "selftest",
		Usage:     "check that OpenCL devices compute the exact stream (known answers, arithmetic probes, small jobs against the serial engine)",
		UsageText: "gpusim selftest [--device N|N,M|all] [--format text|json]",
		// Under DESCRIPTION, as the other commands' (it was printed under
		// USAGE, as if part of the command line).
		Description: "Exits 1 when a device fails a check; a device that flushes subnormal floats passes\n" +
			"with the limitation noted (jobs that can reach subnormal values are refused on it).\n" +
			"Exits 2 where no device failed but the environment kept a check from running (a file-size\n" +
			"limit, a full disk, no memory): the check reads not-run, \"could not run:\" and the cause;\n" +
			"and where no OpenCL is here (no library, platform or device) or the environment kept the\n" +
			"driver from loading (ulimit -v, -u or -s, POCL_CACHE_DIR): \"could not run:\" and the cause,\n" +
			"in JSON \"status\": \"not-run\". Exits 1 where the driver did not list its devices in 10 s.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "device", Value: "all", Usage: "OpenCL device `N`, a list N,M or all (see gpusim devices)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "`FORMAT`: text or json"},
		},
		Action: func(c *cli.Context) error {
			o, err := newSelftestOptions(c)
			if err != nil {
				return err
			}
			if err := selftestStdoutRoom(c.App.Writer, o); err != nil {
				return err
			}
			defer sayCrash(c.Command, o.Format, func() map[string]any {
				return map[string]any{"ok": false, "devices": []engines.SelfTest{}}
			})()
			err = selftestRun(c.Context, o, c.App.Writer, c.App.ErrWriter)
			// The engines' remarks, as run prints them: a cached program
			// that failed a check and was rebuilt, a cache not written.
			for _, n := range engines.Notes() {
				fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", n)
			}
			return err
		},
	}
}

func newSelftestOptions(c *cli.Context) (selftestOptions, error) {
	o := selftestOptions{Device: c.String("device"), Hint: func(err error) string { return hintText(c.Command, err) }}
	var err error
	if o.Format, err = checkFormat(c, "text", "json"); err != nil {
		return o, err
	}
	if err := noArgs(c); err != nil {
		return o, err
	}
	// --device's form is checked, its refusal without the devices (no
	// driver loads); its index, against the devices, once they are listed.
	if argsOnly(c.Context) {
		return o, cmp.Or(engines.CheckDeviceList(o.Device), errArgsChecked)
	}
	if _, err := engines.ParseDevices(o.Device, -1); err != nil {
		return o, err
	}
	return o, driverWaitChecked(c.Context, true)
}

// selftestDeviceMost is the most bytes a device takes in selftest's
// report: 1.5 kB in text, 3.0 kB in JSON where every check passed
// (measured on pocl 3.1), with room for failures' notes and a driver's
// build log.
const selftestDeviceMost = 16 << 10

// selftestReportMost bounds selftest's report on n devices, for its room
// on stdout (checkStdoutFits): reportBase and selftestDeviceMost a device.
// A self-test whose stdout was a full disk compiled and checked every
// device (seconds, a minute cold on some GPUs), then lost its report at
// the write.
func selftestReportMost(n int) uint64 {
	return reportBase + uint64(max(n, 1))*selftestDeviceMost
}

// selftestStdoutRoom refuses a report that stdout cannot take
// (checkStdoutFits), first before the driver loads: on the devices listed,
// or one for all. Loading pocl writes a probe file and an empty tempfile_*
// into its kernel cache, which a full disk's refusal left behind. For all,
// it checks again on as many as the driver lists, where that is more.
func selftestStdoutRoom(w io.Writer, o selftestOptions) error {
	what := "the " + o.Format + " report"
	n := 1
	if idx, err := engines.ParseDevices(o.Device, -1); err == nil {
		n = len(idx)
	}
	if err := checkStdoutFits(w, what, func() (uint64, error) { return selftestReportMost(n), nil }, nil); err != nil {
		return err
	}
	if strings.TrimSpace(o.Device) != "all" {
		return nil
	}
	listed := func() (uint64, error) {
		_, ds, _ := engines.Devices()
		return selftestReportMost(len(ds)), nil
	}
	return checkStdoutFits(w, what, listed, nil)
}

// limitedText is the summary line's word on the checks of sts that found a
// limitation (gpu.CheckLimited: subnormals flushed), "" where none did: a
// device that flushes them, whose jobs that can reach them are refused,
// read "every check passed" and nothing more.
func limitedText(sts []engines.SelfTest) string {
	n := 0
	for _, st := range sts {
		n += st.Limited()
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %s found a limitation (see above: the jobs it rules out are refused)", count.Noun(n, "check"))
}

func selftestRun(ctx context.Context, o selftestOptions, w, stderr io.Writer) error {
	// Each note once: the release of a device's two engines (its two
	// programs) that its driver does not answer notes both alike.
	var said sync.Map
	sts, err := engines.SelfTests(ctx, o.Device, func(s string) {
		if _, dup := said.LoadOrStore(s, true); !dup {
			fmt.Fprintf(stderr, "gpusim: note: %s\n", s)
		}
	})
	var pe *sim.ParamError
	if err != nil && ctx.Err() != nil {
		// Stopped by a signal or a timeout: no document, as devices
		// and every command that stops before its report
		// (docs/outputs.md). It printed one whose error was "selftest
		// of device 0: interrupted", beside exit 130.
		return err
	}
	if err != nil && !errors.As(err, &pe) && engines.CouldNotRun(err) {
		return selftestNotRun(o, w, err)
	}
	if err != nil && o.Format == "json" && !errors.As(err, &pe) {
		// Why no device was checked (no OpenCL library, a device that
		// fails to start).
		return writeErrorJSON(w, map[string]any{"ok": false, "devices": []engines.SelfTest{}}, err, o.hint(err))
	}
	if err != nil {
		return err
	}
	var failed, notRun []string
	var causes []error
	for i := range sts {
		st := &sts[i]
		if st.Failed != "" {
			failed = append(failed, st.Failed)
		}
		if st.NotRun != "" {
			notRun = append(notRun, st.NotRun)
		}
		if st.Err != nil {
			causes = append(causes, st.Err)
			st.Hint = o.hint(st.Err)
		}
		if o.Format == "text" {
			fmt.Fprintf(w, "device %d: %s", st.Index, selftestText(*st))
		}
	}
	var werr error
	if o.Format == "json" {
		werr = writeJSON(w, map[string]any{"ok": len(failed) == 0 && len(notRun) == 0, "devices": sts})
	} else if len(failed) == 0 && len(notRun) == 0 {
		fmt.Fprintf(w, "selftest: %s, every check passed%s\n", count.Noun(len(sts), "device"), limitedText(sts))
	}
	if len(failed) > 0 {
		// With the report's failed write, where it failed: that alone
		// was returned, and no word said which device failed.
		return joinErrors(&selftestError{msg: selftestFailures(append(failed, notRun...)), causes: causes}, werr)
	}
	if len(notRun) > 0 {
		// No device failed: the environment kept a check from running
		// (a file-size limit, a full disk, no memory), exit 2, as gpusim's
		// other refusals for the environment.
		return joinErrors(&envError{name: "selftest", msg: strings.TrimPrefix(selftestFailures(notRun), "selftest: "), hint: notRunHint(o, causes)}, werr)
	}
	return werr
}

// selftestNotRun is selftest's refusal where the driver did not load, or
// listed no device, for a cause in the environment (engines.EnvironmentCause:
// an address-space, process or file-size limit, an empty or unwritable
// POCL_CACHE_DIR): no device failed a check, so exit 2 (an envError, as
// a check that could not run), "could not run:" and the cause, with its
// hint; in JSON, the error document with "status": "not-run". It exited
// 1, a device's failure.
func selftestNotRun(o selftestOptions, w io.Writer, err error) error {
	nr := &envError{name: "selftest", msg: "could not run: " + err.Error(), hint: o.hint(err)}
	if o.Format != "json" {
		return nr
	}
	doc := map[string]any{"ok": false, "status": engines.CheckNotRun, "devices": []engines.SelfTest{}, "error": err.Error()}
	if nr.hint != "" {
		doc["hint"] = nr.hint
	}
	return joinErrors(nr, writeJSON(w, doc))
}

// notRunHint is the hints of causes, the errors of the checks that could
// not run, each once, joined with "; ".
func notRunHint(o selftestOptions, causes []error) string {
	var hints []string
	for _, c := range causes {
		if h := o.hint(c); h != "" && !slices.Contains(hints, h) {
			hints = append(hints, h)
		}
	}
	return strings.Join(hints, "; ")
}

// selftestFailures is selftest's error message for the failures of the
// devices that failed, one a device in the list's order: "selftest: A; B"
// where each is one line, else each on lines of its own, led by
// "selftest: ". A device that did not start ends with its driver's build
// log, several lines: the next device's failure, joined with "; ", read as
// the log's last line ("Invalid build option: -Wbogus; a device did not
// start: ...").
func selftestFailures(failed []string) string {
	for _, f := range failed {
		if strings.Contains(f, "\n") {
			return "selftest: " + strings.Join(failed, "\nselftest: ")
		}
	}
	return "selftest: " + strings.Join(failed, "; ")
}

// selftestText is st's text for a person, its first line the device's
// label, quoted where it holds a character that is not printable or is not
// UTF-8 (quote.Printable), as gpusim devices writes the driver's strings:
// a device's name with a newline wrote a line of its own.
func selftestText(st engines.SelfTest) string {
	if checks, ok := strings.CutPrefix(st.Text, st.Device+"\n"); ok {
		return quote.Printable(st.Device) + "\n" + checks
	}
	return st.Text
}

// hint is o.Hint's hint for err, or "" without one.
func (o selftestOptions) hint(err error) string {
	if o.Hint == nil {
		return ""
	}
	return o.Hint(err)
}

// selftestError is selftest's failure: its message names every device that
// failed, and it unwraps to the errors of the devices that did not start or
// failed a check, whose hints (a pocl cache to set, a driver to install, a
// driver's setting to unset) are printed.
type selftestError struct {
	msg    string
	causes []error
}

func (e *selftestError) Error() string   { return e.msg }
func (e *selftestError) Unwrap() []error { return e.causes }
func (e *selftestError) hinted() []error { return e.causes }
