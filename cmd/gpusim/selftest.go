package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu"
)

// selftestOptions are the flags of gpusim selftest.
type selftestOptions struct {
	Device string // "all" or a list of indices
	Format string // text or json
}

func selftestCommand() *cli.Command {
	return &cli.Command{
		Name:  "selftest",
		Usage: "check that OpenCL devices compute the exact stream (known answers, arithmetic probes, small jobs against the serial engine)",
		UsageText: "gpusim selftest [--device N|N,M|all] [--format text|json]\n\n" +
			"Exits 1 when a device fails a check; a device that flushes subnormal floats passes\n" +
			"with the limitation noted (jobs that can reach subnormal values are refused on it).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "device", Value: "all", Usage: "OpenCL device `N`, a list N,M or all (see gpusim devices)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "`FORMAT`: text or json"},
		},
		Action: func(c *cli.Context) error {
			o, err := newSelftestOptions(c)
			if err != nil {
				return err
			}
			return selftestRun(c.Context, o, c.App.Writer)
		},
	}
}

func newSelftestOptions(c *cli.Context) (selftestOptions, error) {
	o := selftestOptions{Device: c.String("device")}
	var err error
	if o.Format, err = checkFormat(c, "text", "json"); err != nil {
		return o, err
	}
	if err := noArgs(c); err != nil {
		return o, err
	}
	if _, err := engines.ParseDevices(o.Device, -1); err != nil {
		return o, err
	}
	return o, nil
}

// selftestJSON is one device in selftest's JSON output.
type selftestJSON struct {
	Index     int         `json:"index"`
	Device    string      `json:"device"`
	Driver    string      `json:"driver"`
	OK        bool        `json:"ok"`
	Denormals bool        `json:"denormals"`
	Seconds   float64     `json:"seconds"`
	Checks    []gpu.Check `json:"checks"`
}

func selftestRun(ctx context.Context, o selftestOptions, w io.Writer) error {
	// The device list comes through the registry, for its errors and
	// hints; the self-test is the OpenCL engine's own.
	if _, _, err := engines.Devices(); err != nil {
		return err
	}
	ds, err := gpu.Devices()
	if err != nil {
		return err
	}
	idx, err := engines.ParseDevices(o.Device, len(ds))
	if err != nil {
		return err
	}
	var out []selftestJSON
	var failed []string
	for _, i := range idx {
		if i >= len(ds) {
			return &gpu.DeviceIndexError{Index: i, Devices: ds}
		}
		st, err := gpu.RunSelfTest(ctx, gpu.Options{Device: i})
		if err != nil {
			return fmt.Errorf("selftest of device %d: %w", i, err)
		}
		r := selftestJSON{Index: i, Device: st.Label, Driver: ds[i].DriverVersion, OK: st.Failed() == nil,
			Denormals: st.Denormals, Seconds: st.Took.Seconds(), Checks: st.Checks}
		if c := st.Failed(); c != nil {
			failed = append(failed, fmt.Sprintf("device %d failed %s (got %s, want %s)", i, c.Name, c.Got, c.Want))
		}
		out = append(out, r)
		if o.Format == "text" {
			fmt.Fprintf(w, "device %d: %s", i, st)
		}
	}
	if o.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"ok": len(failed) == 0, "devices": out}); err != nil {
			return err
		}
	} else if len(failed) == 0 {
		fmt.Fprintf(w, "selftest: %d device(s), every check passed\n", len(out))
	}
	if len(failed) > 0 {
		return fmt.Errorf("selftest: %s", strings.Join(failed, "; "))
	}
	return nil
}
