// Package cpuinfo reads the CPU's model name, for bench's machine
// description and auto's calibration key.
package cpuinfo

import (
	"bufio"
	"os"
	"strings"
)

// Model returns the first "model name" (x86) or "Model"/"Hardware" (Arm)
// line of a cpuinfo file such as /proc/cpuinfo, or "" when there is none.
func Model(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var fallback string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "model name":
			return v
		case "Model", "Hardware", "cpu model":
			if fallback == "" {
				fallback = v
			}
		}
	}
	return fallback
}
