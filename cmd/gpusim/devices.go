package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/quote"
)

func devicesCommand() *cli.Command {
	return &cli.Command{
		Name:      "devices",
		Usage:     "list the devices of the device engine (OpenCL platforms and devices), with the index --device takes",
		UsageText: "gpusim devices [--format text|json]",
		Description: "Exits 2 where no device can be listed through no fault of a device: no OpenCL\n" +
			"library, platform or device, or an environment that keeps the driver from loading\n" +
			"(ulimit -v, -u or -s, POCL_CACHE_DIR); the error and its hint, in JSON a document of\n" +
			"both with no devices; and, before the driver loads, where stdout is /dev/full. Exits 1\n" +
			"where the driver failed as it listed its devices, or did not answer in 10 s\n" +
			"(GPUSIM_DRIVER_WAIT sets that wait, 1 to 3600 s).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "`FORMAT`: text or json"},
		},
		Action: func(c *cli.Context) error {
			// The loader's remarks, as run prints them: a driver that
			// OCL_ICD_FILENAMES names and that did not load, an ICD file
			// that was skipped.
			defer func() {
				for _, n := range engines.Notes() {
					fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", n)
				}
			}()
			format, err := checkFormat(c, "text", "json")
			if err != nil {
				return err
			}
			if err := noArgs(c); err != nil {
				return err
			}
			if err := argsChecked(c.Context); err != nil {
				return err
			}
			if err := driverWaitChecked(c.Context, true); err != nil {
				return err
			}
			// Before the driver loads: a listing to /dev/full is lost.
			if err := checkStdoutTakes(c.App.Writer, "the "+format+" listing"); err != nil {
				return err
			}
			defer sayCrash(c.Command, format, func() map[string]any {
				return map[string]any{"devices": []engines.Device{}}
			})()
			_, ds, err := engines.Devices()
			if c.Context.Err() != nil {
				// Stopped while the driver listed its devices: the
				// stop's status and message, as selftest's. The
				// listing was printed and exited 0.
				return context.Cause(c.Context)
			}
			if err != nil {
				// No library, no platform, a limit or a pocl cache
				// that keeps the driver from loading: exit 2, as
				// selftest's "could not run", not a device's failure.
				nr := couldNotRun("devices", "", err)
				if format == "json" {
					// Why there are no devices and what to do, as
					// selftest's document says: its "error" the cause.
					doc := map[string]any{"devices": []engines.Device{}, "error": err.Error()}
					if h := hintText(c.Command, err); h != "" {
						doc["hint"] = h
					}
					return joinErrors(nr, writeDocJSON(c.App.Writer, doc, err))
				}
				return nr
			}
			if n := refusedNote(ds); n != "" {
				defer fmt.Fprintf(c.App.ErrWriter, "gpusim: note: %s\n", n)
			}
			if format == "json" {
				return writeJSON(c.App.Writer, map[string]any{"devices": ds})
			}
			return writeDevicesText(c.App.Writer, ds)
		},
	}
}

// refusedNote is the note of the devices of ds that a start refuses (their
// "refused" property: an earlier process crashed their driver there),
// where there are several: which, and the one rm -f that asks them all
// again (every device's marks, each once). Each device's line gave its own
// rm -f alone, and asking them all again took one command per device. ""
// where fewer than two are refused.
func refusedNote(ds []engines.Device) string {
	var which, marks []string
	for _, d := range ds {
		for _, p := range d.Props {
			r, ok := p.Value.(engines.Refusal)
			if !ok || p.Key != "refused" {
				continue
			}
			which = append(which, strconv.Itoa(d.Index))
			for _, m := range r.Marks {
				if !slices.Contains(marks, m) {
					marks = append(marks, m)
				}
			}
		}
	}
	if len(which) < 2 {
		return ""
	}
	return fmt.Sprintf("%d devices are refused (%s), each as its refusal says: rm -f %s asks them all again", len(which), strings.Join(which, ", "), quote.ShellWords(marks))
}

// writeDevicesText writes ds for a person. The drivers' strings (names,
// versions, the vendor) are written quoted where they hold a character that
// is not printable or are not UTF-8 (quote.Printable): they were written
// raw, and a device's name with a newline wrote a "platform:" line of its
// own, and one with byte \xe9 made the listing not UTF-8. An empty one is
// written "" (a platform without a name had no "platform:" line: its
// devices read as the previous platform's). Each platform's line comes
// before its first device, the platforms told apart by name and version.
func writeDevicesText(w io.Writer, ds []engines.Device) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, d := range ds {
		if i == 0 || d.Platform != ds[i-1].Platform || d.PlatformVersion != ds[i-1].PlatformVersion {
			fmt.Fprintf(tw, "platform: %s (%s)\n", quote.Printable(d.Platform), quote.Printable(d.PlatformVersion))
		}
		fmt.Fprintf(tw, "  [%d] %s\n", d.Index, quote.Printable(d.Name))
		fmt.Fprintf(tw, "      type:\t%s\n", quote.Printable(d.Type))
		for _, p := range d.Props {
			if p.Label != "" {
				fmt.Fprintf(tw, "      %s:\t%s\n", p.Label, quote.Printable(p.Text))
			}
		}
	}
	return tw.Flush()
}
