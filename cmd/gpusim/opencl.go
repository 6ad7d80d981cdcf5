package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/sim"
)

// openCLFlags configure the opencl backend; run takes them.
func openCLFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "device", Usage: "OpenCL device `N`, a list N,M or all (see gpusim devices); implies --backend opencl; default: the first GPU, else device 0"},
		&cli.StringFlag{Name: "math", Value: gpu.MathExact, Usage: "OpenCL `MODE`: exact (the reproducible stream) or fast (native functions: faster on GPUs, device-dependent digest)"},
		&cli.IntFlag{Name: "vector-width", Usage: "lanes per OpenCL work-item `N` (1, 2, 4, 8, 16; 0 picks per device); results do not depend on it"},
	}
}

// openCLOptions reads the flags of openCLFlags into o.
func openCLOptions(c *cli.Context, o *engineOptions) error {
	o.Device = c.String("device")
	o.Math = c.String("math")
	if o.Math != gpu.MathExact && o.Math != gpu.MathFast {
		return &sim.ParamError{Flag: "math", Msg: fmt.Sprintf("unknown mode %q (valid: exact, fast)", o.Math)}
	}
	o.VectorWidth = c.Int("vector-width")
	if o.VectorWidth != 0 && !slices.Contains(gpu.VectorWidths, o.VectorWidth) {
		return &sim.ParamError{Flag: "vector-width", Msg: fmt.Sprintf("%d is not a valid width (valid: 0 for auto, 1, 2, 4, 8, 16)", o.VectorWidth)}
	}
	if o.Device != "" {
		if _, err := parseDevices(o.Device, -1); err != nil {
			return err
		}
	}
	return nil
}

// parseDevices reads --device: "N", "N,M,..." or "all". n is the number of
// devices, or -1 when not known yet (the syntax alone is checked).
func parseDevices(s string, n int) ([]int, error) {
	if s == "all" {
		if n < 0 {
			return nil, nil
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	var idx []int
	for _, f := range strings.Split(s, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 {
			return nil, &sim.ParamError{Flag: "device", Msg: fmt.Sprintf("%q is not a device index (valid: N, N,M,... or all; gpusim devices lists them)", s)}
		}
		if slices.Contains(idx, i) {
			return nil, &sim.ParamError{Flag: "device", Msg: fmt.Sprintf("device %d is listed twice", i)}
		}
		idx = append(idx, i)
	}
	return idx, nil
}

// newOpenCL opens the devices --device names (default: the first GPU, else
// device 0), several at once as one gpu.Multi.
func newOpenCL(o engineOptions) (sim.Engine, error) {
	opt := gpu.Options{Math: o.Math, VectorWidth: o.VectorWidth}
	if o.Device == "" {
		opt.Device = max(gpu.PickDefault(), 0)
		return gpu.Open(opt)
	}
	ds, err := gpu.Devices()
	if err != nil {
		return nil, err
	}
	idx, err := parseDevices(o.Device, len(ds))
	if err != nil {
		return nil, err
	}
	for _, i := range idx {
		if i >= len(ds) {
			return nil, &gpu.DeviceIndexError{Index: i, Devices: ds}
		}
	}
	if len(idx) == 1 {
		opt.Device = idx[0]
		return gpu.Open(opt)
	}
	return gpu.OpenMulti(idx, opt)
}

// noOpenCL reports whether err means OpenCL is absent here (no library, no
// platform, no device) rather than broken.
func noOpenCL(err error) bool {
	return errors.Is(err, cl.ErrNoLibrary) || errors.Is(err, cl.ErrNoPlatform) || errors.Is(err, gpu.ErrNoDevice)
}

// benchOpenCL benchmarks every OpenCL device as opencl:N.
func benchOpenCL(b backend) ([]bench.EngineSpec, error) {
	ds, err := gpu.Devices()
	if err != nil {
		return nil, err
	}
	specs := make([]bench.EngineSpec, len(ds))
	for i, d := range ds {
		o := engineOptions{Device: strconv.Itoa(d.Index)}
		specs[i] = bench.EngineSpec{Name: fmt.Sprintf("opencl:%d", d.Index), New: func(int) sim.Engine {
			e, err := b.new(o)
			if err != nil {
				return failedEngine{b.name, err}
			}
			return e
		}}
	}
	return specs, nil
}

func init() {
	openCLDevices = func() ([]string, error) {
		ds, err := gpu.Devices()
		if err != nil {
			return nil, err
		}
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.String()
		}
		return out, nil
	}
}

func devicesCommand() *cli.Command {
	return &cli.Command{
		Name:      "devices",
		Usage:     "list the OpenCL platforms and devices, with the index --device takes",
		UsageText: "gpusim devices [--format text|json]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "`FORMAT`: text or json"},
		},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "text" && format != "json" {
				return &sim.ParamError{Flag: "format", Msg: fmt.Sprintf("unknown format %q (valid: text, json)", format)}
			}
			if c.Args().Present() {
				return &usageError{msg: fmt.Sprintf("devices takes no arguments, got %q", c.Args().First())}
			}
			ds, err := gpu.Devices()
			if err != nil {
				if noOpenCL(err) {
					if hint := cl.HintFor(err); hint != "" {
						return fmt.Errorf("%w\ngpusim: hint: %s", err, hint)
					}
					return fmt.Errorf("%w\ngpusim: hint: install an OpenCL driver (pocl-opencl-icd for CPUs) or set %s to libOpenCL.so; gpusim run still works on the CPU engines", err, cl.EnvLibrary)
				}
				return err
			}
			if format == "json" {
				return writeDevicesJSON(c.App.Writer, ds)
			}
			return writeDevicesText(c.App.Writer, ds)
		},
	}
}

type deviceJSON struct {
	Index                int    `json:"index"`
	Platform             string `json:"platform"`
	PlatformVersion      string `json:"platform_version"`
	Name                 string `json:"name"`
	Type                 string `json:"type"`
	Vendor               string `json:"vendor"`
	Driver               string `json:"driver"`
	OpenCL               string `json:"opencl"`
	ComputeUnits         int    `json:"compute_units"`
	ClockMHz             int    `json:"clock_mhz"`
	GlobalMemBytes       uint64 `json:"global_mem_bytes"`
	MaxAllocBytes        uint64 `json:"max_alloc_bytes"`
	PreferredFloatWidth  int    `json:"preferred_float_vector_width"`
	NativeFloatWidth     int    `json:"native_float_vector_width"`
	VectorWidth          int    `json:"vector_width"`
	FP64                 bool   `json:"fp64"`
	CorrectlyRoundedSqrt bool   `json:"correctly_rounded_sqrt"`
}

func writeDevicesJSON(w io.Writer, ds []gpu.DeviceDesc) error {
	out := make([]deviceJSON, len(ds))
	for i, d := range ds {
		out[i] = deviceJSON{
			Index: d.Index, Platform: d.PlatformName, PlatformVersion: d.PlatformVersion, Name: d.Name, Type: d.Type,
			Vendor: d.Vendor, Driver: d.DriverVersion, OpenCL: d.Version, ComputeUnits: int(d.ComputeUnits),
			ClockMHz: int(d.MaxClockMHz), GlobalMemBytes: d.GlobalMemBytes, MaxAllocBytes: d.MaxAllocBytes,
			PreferredFloatWidth: int(d.PreferredVectorWidthFloat), NativeFloatWidth: int(d.NativeVectorWidthFloat),
			VectorWidth: d.VectorWidth, FP64: d.FP64, CorrectlyRoundedSqrt: d.CorrectlyRoundedSqrt,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"devices": out})
}

func writeDevicesText(w io.Writer, ds []gpu.DeviceDesc) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	platform := ""
	for _, d := range ds {
		if d.PlatformName != platform {
			platform = d.PlatformName
			fmt.Fprintf(tw, "platform: %s (%s)\n", d.PlatformName, d.PlatformVersion)
		}
		fmt.Fprintf(tw, "  [%d] %s\n", d.Index, d.Name)
		rows := [][2]string{
			{"type", d.Type},
			{"vendor", d.Vendor},
			{"driver", d.DriverVersion},
			{"opencl", d.Version},
			{"compute units", strconv.Itoa(int(d.ComputeUnits))},
			{"clock", fmt.Sprintf("%d MHz", d.MaxClockMHz)},
			{"global memory", mib(d.GlobalMemBytes)},
			{"max allocation", mib(d.MaxAllocBytes)},
			{"float vector width", fmt.Sprintf("preferred %d, native %d (gpusim uses %d)", d.PreferredVectorWidthFloat, d.NativeVectorWidthFloat, d.VectorWidth)},
			{"fp64", yesNo(d.FP64)},
			{"correctly rounded sqrt", yesNo(d.CorrectlyRoundedSqrt)},
		}
		for _, r := range rows {
			fmt.Fprintf(tw, "      %s:\t%s\n", r[0], r[1])
		}
	}
	return tw.Flush()
}

func mib(b uint64) string { return fmt.Sprintf("%d MiB", b>>20) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
