package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gpusim/gpusim/engines"
)

// TestDevicesTextQuotesDriverStrings: gpusim devices writes a driver's
// strings quoted where they hold a character that is not printable or are
// not UTF-8, and as they are otherwise: a device's name with a newline
// wrote a "platform:" line of its own, and one with byte \xe9 made the
// listing not UTF-8.
func TestDevicesTextQuotesDriverStrings(t *testing.T) {
	ds := []engines.Device{
		{Index: 0, Platform: "caf\xe9", PlatformVersion: "OpenCL 3.0", Name: "gpu\nplatform: fake (OpenCL 9.9)", Type: "GPU",
			Props: []engines.Prop{{Key: "vendor", Label: "vendor", Text: "v\x1b[31m"}, {Key: "driver", Label: "driver", Text: "1.0\tx"}}},
		{Index: 1, Platform: "plain", PlatformVersion: "OpenCL 1.2", Name: "cpu", Type: "CPU",
			Props: []engines.Prop{{Key: "vendor", Label: "vendor", Text: "Vendor Inc."}}},
	}
	var b strings.Builder
	if err := writeDevicesText(&b, ds); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !utf8.ValidString(out) {
		t.Errorf("output is not UTF-8:\n%q", out)
	}
	for _, want := range []string{
		"platform: \"caf\\xe9\" (OpenCL 3.0)\n",
		"  [0] \"gpu\\nplatform: fake (OpenCL 9.9)\"\n",
		"      vendor:  \"v\\x1b[31m\"\n",
		"      driver:  \"1.0\\tx\"\n",
		"platform: plain (OpenCL 1.2)\n",
		"  [1] cpu\n",
		"      vendor:  Vendor Inc.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "platform: ") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d platform lines, want 2:\n%s", n, out)
	}
}

// TestSelftestTextQuotesLabel: selftest's text writes the device's label
// quoted as gpusim devices writes its name, and the checks' lines as they
// are; a label with a newline wrote a line of its own.
func TestSelftestTextQuotesLabel(t *testing.T) {
	checks := "  pass     philox/random123-kat: got 0x1, want 0x1\n"
	for _, c := range []struct{ label, want string }{
		{"gpu\ndevice 1: fake (pocl, CPU, float16)", "\"gpu\\ndevice 1: fake (pocl, CPU, float16)\"\n" + checks},
		{"caf\xe9 (pocl, CPU, float16)", "\"caf\\xe9 (pocl, CPU, float16)\"\n" + checks},
		{"pthread (pocl, CPU, float16)", "pthread (pocl, CPU, float16)\n" + checks},
	} {
		got := selftestText(engines.SelfTest{Device: c.label, Text: c.label + "\n" + checks})
		if got != c.want {
			t.Errorf("label %q: text %q, want %q", c.label, got, c.want)
		}
	}
}

// TestDevicesTextEmptyPlatform: a platform without a name gets its
// "platform:" line, its name written "" (it had none, and its devices read
// as the previous platform's), and so does the next platform of the same
// name but another version; an empty device name is written "" too.
func TestDevicesTextEmptyPlatform(t *testing.T) {
	ds := []engines.Device{
		{Index: 0, Platform: "", PlatformVersion: "OpenCL 3.0", Name: "", Type: "GPU"},
		{Index: 1, Platform: "pocl", PlatformVersion: "OpenCL 3.0 PoCL 5", Name: "cpu", Type: "CPU"},
		{Index: 2, Platform: "pocl", PlatformVersion: "OpenCL 3.0 PoCL 6", Name: "cpu", Type: "CPU"},
		{Index: 3, Platform: "pocl", PlatformVersion: "OpenCL 3.0 PoCL 6", Name: "basic", Type: "CPU"},
	}
	var b strings.Builder
	if err := writeDevicesText(&b, ds); err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "platform:") {
			platforms = append(platforms, line)
		}
	}
	want := []string{`platform: "" (OpenCL 3.0)`, "platform: pocl (OpenCL 3.0 PoCL 5)", "platform: pocl (OpenCL 3.0 PoCL 6)"}
	if strings.Join(platforms, "\n") != strings.Join(want, "\n") || !strings.HasPrefix(b.String(), want[0]+"\n  [0] \"\"\n") {
		t.Errorf("platform lines %q, want %q:\n%s", platforms, want, b.String())
	}
}

// TestWriteJSONNegativeZero: the devices and selftest documents write a
// float's -0 as -0.0, as the run's report does (jsonnum.Fix): a device
// property or a time of -0 read as the int 0 in Python's json.
func TestWriteJSONNegativeZero(t *testing.T) {
	var b strings.Builder
	ds := []engines.Device{{Name: "-0", Props: []engines.Prop{{Key: "x", Value: math.Copysign(0, -1)}}}}
	if err := writeJSON(&b, map[string]any{"devices": ds, "seconds": float32(math.Copysign(0, -1))}); err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if want := `{"devices":[{"index":0,"platform":"","platform_version":"","name":"-0","type":"","x":-0.0}],"seconds":-0.0}`; c.String() != want {
		t.Errorf("got\n%s\nwant (compact)\n%s", b.String(), want)
	}
}
