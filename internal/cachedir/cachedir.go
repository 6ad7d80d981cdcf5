// Package cachedir is where gpusim keeps what it may rebuild at any time:
// compiled OpenCL programs, self-test passes and auto's calibration.
package cachedir

import (
	"os"
	"path/filepath"
)

// Env names the environment variable that moves the cache folder from
// os.UserCacheDir()/gpusim; "off" turns every disk cache off.
const Env = "GPUSIM_CACHE_DIR"

// Dir is the cache folder, or "" when caching is off or there is no user
// cache folder.
func Dir() string {
	if d := os.Getenv(Env); d != "" {
		if d == "off" {
			return ""
		}
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "gpusim")
}
