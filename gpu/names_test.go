package gpu

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestDeviceNamesPrintable: every way gpu names a device in an error, a
// note or a label (String, Named, the engine's label, and the errors made
// from Named) quotes the driver's names where they hold a character that is
// not printable or are not UTF-8, as gpusim devices does: they went to the
// terminal raw, an escape sequence and all. Printable names are as they
// are.
func TestDeviceNamesPrintable(t *testing.T) {
	odd := DeviceDesc{Index: 2, DeviceInfo: cl.DeviceInfo{Name: "gpu\x1b[31m\nred", PlatformName: "caf\xe9", Type: "GPU"}}
	for what, s := range map[string]string{
		"String":           odd.String(),
		"Named":            odd.Named(),
		"label":            odd.label(4, true),
		"SelfTestError":    (&SelfTestError{Device: odd.Named(), Index: 2, Check: Check{Name: "job/plain", Got: "0x1", Want: "0x2"}}).Error(),
		"DeviceIndexError": (&DeviceIndexError{Index: 5, Devices: []DeviceDesc{odd}}).Error(),
	} {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\x1b\xe9") || (what != "DeviceIndexError" && strings.Contains(s, "\n")) {
			t.Errorf("%s: %q holds the driver's raw bytes", what, s)
		}
		for _, want := range []string{`"gpu\x1b[31m\nred"`, `"caf\xe9"`} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: %q lacks the quoted name %s", what, s, want)
			}
		}
	}
	plain := DeviceDesc{Index: 0, DeviceInfo: cl.DeviceInfo{Name: "pthread-skylake", PlatformName: "Portable Computing Language", Type: "CPU"}}
	for got, want := range map[string]string{
		plain.String():          "0: pthread-skylake (pocl, CPU)",
		plain.Named():           "device 0 (pthread-skylake, pocl, CPU)",
		plain.label(16, false):  "pthread-skylake (pocl, CPU, float x16)",
		plain.label(1, true):    "pthread-skylake (pocl, CPU, float, fast math)",
		platformShort(""):       "unknown platform",
		platformShort("NVIDIA"): "NVIDIA",
	} {
		if got != want {
			t.Errorf("got %s, want %s", strconv.Quote(got), strconv.Quote(want))
		}
	}
}
