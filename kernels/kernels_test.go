package kernels

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/rng"
)

// docName maps the kernel's constant names to docs/reproducibility.md's.
var docName = map[string]string{
	"LOG_P0": "P0", "LOG_P1": "P1", "LOG_P2": "P2", "LOG_P3": "P3", "LOG_P4": "P4",
	"LOG_P5": "P5", "LOG_P6": "P6", "LOG_P7": "P7", "LOG_P8": "P8", "LOG_Q1": "Q1", "LOG_Q2": "Q2",
	"SIN_S0": "S0", "SIN_S1": "S1", "SIN_S2": "S2", "COS_C0": "C0", "COS_C1": "C1", "COS_C2": "C2",
	"SQRTHF_BITS": "SQRTHF", "T_BITS": "T", "PSI": "PSI",
}

// TestConstantsMatchDocument pins every float constant of the kernel to the
// bits the normative document lists (its tables and its inline `NAME =
// 0x...` definitions), and the Philox constants to package rng's.
func TestConstantsMatchDocument(t *testing.T) {
	doc, err := os.ReadFile("../docs/reproducibility.md")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, m := range regexp.MustCompile(`\| (\w+) \| [-0-9.E]+ \| (0x[0-9a-f]{8}) \|`).FindAllStringSubmatch(string(doc), -1) {
		want[m[1]] = m[2]
	}
	for _, m := range regexp.MustCompile("`(\\w+) = (0x[0-9a-f]{8})`").FindAllStringSubmatch(string(doc), -1) {
		want[m[1]] = m[2]
	}
	for _, m := range regexp.MustCompile(`(\w+) = f32\(pi/4\) \* 2\^-24 = (0x[0-9a-f]{8})`).FindAllStringSubmatch(string(doc), -1) {
		want[m[1]] = m[2]
	}
	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (\w+) (?:as_float\()?(0x[0-9a-fA-F]{8})u\)?$`).FindAllStringSubmatch(Weather, -1) {
		got[m[1]] = strings.ToLower(m[2])
	}
	for k, d := range docName {
		if want[d] == "" {
			t.Errorf("%s: the document defines no %s", k, d)
		} else if got[k] != want[d] {
			t.Errorf("%s: kernel has %q, document's %s is %s", k, got[k], d, want[d])
		}
	}
	for k, v := range map[string]uint32{"PHILOX_M0": rng.PhiloxM0, "PHILOX_M1": rng.PhiloxM1, "PHILOX_W0": rng.PhiloxW0, "PHILOX_W1": rng.PhiloxW1} {
		if w := fmt.Sprintf("%#08x", v); got[k] != w {
			t.Errorf("%s: kernel has %q, rng has %s", k, got[k], w)
		}
	}
}

// TestNoRelaxedMath: the exact path contracts no multiply-add, and native
// functions appear only in the FAST_MATH branch.
func TestNoRelaxedMath(t *testing.T) {
	if !regexp.MustCompile(`(?m)^#ifndef FAST_MATH\n#pragma OPENCL FP_CONTRACT OFF\n#endif`).MatchString(Weather) {
		t.Error("the kernel does not turn FP_CONTRACT off outside FAST_MATH")
	}
	code := regexp.MustCompile(`//.*`).ReplaceAllString(Weather, "")
	for _, bad := range []string{"fma(", "mad(", "#pragma OPENCL FP_CONTRACT ON"} {
		if strings.Contains(code, bad) {
			t.Errorf("kernel uses %q", bad)
		}
	}
	fast := regexp.MustCompile(`(?s)#else // FAST_MATH.*?#endif`).FindString(Weather)
	fast = regexp.MustCompile(`//.*`).ReplaceAllString(fast, "")
	if fast == "" {
		t.Fatal("no FAST_MATH branch")
	}
	if n, m := strings.Count(code, "native_"), strings.Count(fast, "native_"); n != m || m == 0 {
		t.Errorf("%d native_ calls outside the FAST_MATH branch", n-m)
	}
}
