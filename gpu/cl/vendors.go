package cl

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Environment variables of the ICD loaders that Load honours itself, so
// that they work without a loader too.
const (
	// EnvVendors is ocl-icd's (and Khronos's) replacement for
	// /etc/OpenCL/vendors: a directory of .icd files, one .icd file, or a
	// driver library.
	EnvVendors = "OCL_ICD_VENDORS"
	// EnvFilenames is the Khronos loader's list of driver libraries,
	// separated by colons; Debian's ocl-icd ignores it.
	EnvFilenames = "OCL_ICD_FILENAMES"
	// envVendorPath is ocl-icd's older name for a vendors directory.
	envVendorPath = "OPENCL_VENDOR_PATH"
)

// vendorsDir is where ICD files are installed; a variable for tests.
var vendorsDir = "/etc/OpenCL/vendors"

// wellKnownDrivers are driver libraries tried by name when neither a loader
// nor an ICD file leads to a platform: containers often get a vendor's
// driver mounted without its ICD file.
var wellKnownDrivers = []candidate{
	{"libnvidia-opencl.so.1", "the NVIDIA driver"},
	{"libamdocl64.so", "the AMD driver"},
	{"libigdrcl.so", "the Intel GPU driver"},
	{"libpocl.so.2", "pocl"},
}

// candidate is a library Load may open and why it tries it.
type candidate struct{ path, from string }

// vendorCandidates lists the driver libraries that OCL_ICD_FILENAMES and
// the ICD files name (OCL_ICD_VENDORS, else OPENCL_VENDOR_PATH, else
// /etc/OpenCL/vendors), in that order, .icd files sorted by name.
func vendorCandidates() []candidate {
	var out []candidate
	for _, f := range filepath.SplitList(os.Getenv(EnvFilenames)) {
		if f != "" {
			out = append(out, candidate{f, EnvFilenames})
		}
	}
	dir, from := vendorsDir, vendorsDir
	if v := os.Getenv(EnvVendors); v != "" {
		dir, from = v, EnvVendors
	} else if v := os.Getenv(envVendorPath); v != "" {
		dir, from = v, envVendorPath
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		files, _ := filepath.Glob(filepath.Join(dir, "*.icd"))
		slices.Sort(files)
		for _, f := range files {
			if lib := readICD(f); lib != "" {
				out = append(out, candidate{lib, f})
			}
		}
	case from == EnvVendors && strings.HasSuffix(dir, ".icd"):
		if lib := readICD(dir); lib != "" {
			out = append(out, candidate{lib, dir})
		}
	case from == EnvVendors && (err == nil || !strings.Contains(dir, "/")):
		// A driver library: a file, or a name the dynamic loader finds.
		out = append(out, candidate{dir, EnvVendors})
	}
	return out
}

// vendorsTry is what Load's own try of the library OCL_ICD_VENDORS names
// found (the ICD loader takes a file there for a driver library, and Load
// tries it too): whether it was tried (not where GPUSIM_OPENCL_LIBRARY
// names the one library to try), whether it loaded, and why it was of no
// use ("no platform", or the dynamic loader's or the binding's reason).
type vendorsTry struct {
	tried, loaded bool
	why           string
}

// vendorsProblem says what is wrong with the ICD folder or file the
// environment names (OCL_ICD_VENDORS, OPENCL_VENDOR_PATH), for the error
// when no platform was found: a folder without .icd files, a path that is
// not there, an .icd file that names no library or one whose library gave
// no platform, or a library in its place, worded by what lib, Load's own
// try of it, found: one that did not load (OCL_ICD_VENDORS=/etc/passwd),
// one that loaded and is no OpenCL driver (libm.so.6), one that gave no
// platform. It said "taken for a driver library, which gave no platform"
// of each. "" when none is named.
func vendorsProblem(lib vendorsTry) string {
	env, dir := EnvVendors, os.Getenv(EnvVendors)
	if dir == "" {
		env, dir = envVendorPath, os.Getenv(envVendorPath)
	}
	if dir == "" {
		return ""
	}
	fi, err := os.Stat(dir)
	shown := shownPath(dir) // a trailing space seen, as GPUSIM_OPENCL_LIBRARY's
	switch {
	case err != nil && (strings.Contains(dir, "/") || env == envVendorPath):
		return fmt.Sprintf("%s=%s: no such file or folder", env, shown)
	case err == nil && fi.IsDir():
		files, _ := filepath.Glob(filepath.Join(dir, "*.icd"))
		if len(files) == 0 {
			return fmt.Sprintf("%s=%s: a folder with no .icd files", env, shown)
		}
		// Called where no platform was found: none of them gave one (a
		// folder of broken .icd files was told to install a driver and
		// set this very variable).
		return fmt.Sprintf("%s=%s: none of its .icd files gave a platform (%s)", env, shown, icdFaults(files))
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Sprintf("%s=%s: not a regular file or folder", env, shown)
	case err == nil && strings.HasSuffix(dir, ".icd") && readICD(dir) == "":
		return fmt.Sprintf("%s=%s: an .icd file that names no library", env, shown)
	case err == nil && strings.HasSuffix(dir, ".icd"):
		return fmt.Sprintf("%s=%s: the library it names (%s) gave no platform", env, shown, readICD(dir))
	case env == EnvVendors:
		// A library, by path or by name, which the loader takes for a
		// driver: the hint said to install a driver and to set this
		// very variable (OCL_ICD_VENDORS=libm.so.6, pocl installed).
		return fmt.Sprintf("%s=%s: %s", env, shown, lib.outcome())
	}
	return ""
}

// outcome is what became of the library OCL_ICD_VENDORS names, which the
// ICD loader takes for a driver library, by Load's own try of it.
func (t vendorsTry) outcome() string {
	const taken = "taken for a driver library"
	switch {
	case !t.tried:
		return taken + " (not a folder or an .icd file)"
	case !t.loaded:
		return taken + ", which does not load (" + t.why + ")"
	case t.why == noPlatformFound:
		return taken + ", which loads but gives no platform"
	case t.why != "":
	}
	return taken + ", which loads but is no OpenCL driver (" + t.why + ")"
}

// icdFaults says of each .icd file what it names, and what is wrong with
// it where that is seen from here: a NUL byte, no library, a library path
// that is not there.
func icdFaults(files []string) string {
	var said []string
	for _, f := range files {
		base := filepath.Base(f)
		b, rerr := readHead(f)
		lib := readICD(f)
		switch {
		case rerr != nil:
			said = append(said, fmt.Sprintf("%s cannot be read: %v", base, rerr))
		case strings.ContainsRune(string(b), 0):
			said = append(said, base+" holds a NUL byte")
		case lib == "":
			said = append(said, base+" names no library")
		case filepath.IsAbs(lib) && !exists(lib):
			said = append(said, fmt.Sprintf("%s names %s, which is not there", base, lib))
		default:
			said = append(said, fmt.Sprintf("%s names %s", base, lib))
		}
	}
	return strings.Join(said, "; ")
}

// exists says whether path names a file or folder.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// envSetting is the fix of the OpenCL variables the user set that kept a
// load from finding a driver, one line, or "" where none did: an ICD
// folder or file that cannot work (vp, vendorsProblem's), which the loader alone
// reads, so the fix is that variable, where the hint went on to suggest
// setting it; and drivers OCL_ICD_FILENAMES names, of which none loaded
// (it was called only where none did), while it keeps gpusim from trying
// the drivers it knows by name. The load's hint opens with it
// (UnavailableError.Setting).
func envSetting(vp string) string {
	var fix []string
	if vp != "" {
		fix = append(fix, vp+", and the ICD loader looks nowhere else: point it at a folder of .icd files or unset it")
	}
	if f := os.Getenv(EnvFilenames); strings.Trim(f, string(filepath.ListSeparator)) != "" {
		fix = append(fix, EnvFilenames+"="+f+": none of the drivers it names loaded: point it at a driver library or unset it")
	}
	return strings.Join(fix, "; ")
}

// nulICD returns an .icd file of the folder (or the file) the ICD loader
// reads (OCL_ICD_VENDORS, else OPENCL_VENDOR_PATH, else /etc/OpenCL/vendors)
// that holds a NUL byte, or that is not a regular file, with why the loader
// cannot read it, or that names a library that is not a regular file; or
// "": ocl-icd crashes the process on a NUL byte (a file zeroed by a crash
// or a power loss), and waits in open(2) for ever on a named pipe
// (OCL_ICD_VENDORS naming one too, which it takes for a driver library, or
// an .icd file naming one), so Load then loads the drivers the other files
// name itself: others counts the files beside it that name one.
func nulICD() (file, why string, others int) {
	dir := vendorsDir
	if v := os.Getenv(EnvVendors); v != "" {
		dir = v
	} else if v := os.Getenv(envVendorPath); v != "" {
		dir = v
	}
	files := []string{dir}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		files, _ = filepath.Glob(filepath.Join(dir, "*.icd"))
	} else if !strings.HasSuffix(dir, ".icd") {
		if irregular(dir) != nil {
			return dir, "is not a regular file, which it waits on for ever", 0
		}
		return "", "", 0
	}
	for _, f := range files {
		switch b, err := readHead(f); {
		case irregular(f) != nil:
			file, why = f, "is not a regular file, which it waits on for ever"
		case err == nil && strings.ContainsRune(string(b), 0):
			file, why = f, "holds a NUL byte, on which it crashes the process"
		case irregular(readICD(f)) != nil:
			// The library it names: the loader's dlopen waited in
			// open(2) on a named pipe for ever, holding the dynamic
			// loader's lock, and no signal ended the process.
			file, why = f, fmt.Sprintf("names %s, which is not a regular file and which it waits on for ever", readICD(f))
		default:
			continue
		}
		for _, g := range files {
			if g != f && readICD(g) != "" {
				others++
			}
		}
		return file, why, others
	}
	return "", "", 0
}

// readHead reads at most the first 4 KiB of path: an .icd file is a line.
func readHead(path string) ([]byte, error) {
	if err := irregular(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:n], err
}

// readICD returns the library an .icd file names: its first line.
func readICD(path string) string {
	b, err := readHead(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if strings.ContainsRune(line, 0) {
		return "" // no library's name
	}
	return strings.TrimSpace(line)
}

// irregular says why the file at path, which the loader is to open (a
// library, an .icd file), cannot be one: it is not a regular file. A named
// pipe (GPUSIM_OPENCL_LIBRARY=fifo) held the process in open(2) for ever,
// waiting for a writer, and a terminal waited for its input. A folder is
// left to the caller, whose error names it; a bare name, which dlopen looks
// up on the library path rather than in the working folder, is not checked.
func irregular(path string) error {
	if !strings.ContainsRune(path, '/') {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return nil
	}
	what := "not a regular file"
	switch m := fi.Mode(); {
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe, not a regular file"
	case m&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	case m&fs.ModeDevice != 0:
		what = "a device, not a regular file"
	}
	return fmt.Errorf("%s: %s", path, what)
}
