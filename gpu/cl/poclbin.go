package cl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sync"

	"github.com/gpusim/gpusim/internal/diskfree"
)

// A program binary of pocl's (Program.Binary) holds the files of the
// program's folder in pocl's kernel cache: the program's bitcode and each
// kernel's shared objects, which gpusim's cache keeps from the program's
// first launches (saveBinary). Loading it (pocl 3.1, pocl_binary.c,
// pocl_binary_deserialize) writes each of them into the kernel cache where
// it is not there already, and writes nothing where every one is. pocl
// 3.1's (format 9) starts:
//
//	"poclbin\0", device (8 bytes), version (4), kernels (4), flags,
//	the program's folder in the kernel cache ("NP/GOKN...\0")
//
// and then a file as | uint32 length | "/" path | uint32 length | content |,
// the bitcode first, each kernel's after its metadata.
const poclBinaryMagic = "poclbin\x00"

// poclBinaryDir matches the program's folder in a pocl binary's header:
// its build hash, written with the letters A to P, split after two.
var poclBinaryDir = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[A-P]{2}/[A-P]{16,64}\x00`)
})

// poclBinaryFile is one file a pocl binary holds: its path in the
// program's folder and its size.
type poclBinaryFile struct {
	path string
	size int
}

// poclBinaryFiles returns the program's folder in pocl's kernel cache that
// bin, a pocl binary, unpacks into and the files it holds there, or ""
// where bin says none (another format: the caller cannot tell what loading
// it writes). The files are found by their form (a length, a path from "/"
// of that length, a content's length that fits), not the metadata's
// layout between them, which pocl's versions change. Metadata taken for a
// file names one the kernel cache does not hold, its size spanning any
// file it hides: a wrong guess refuses a load under a limit, and never
// lets one go ahead.
func poclBinaryFiles(bin []byte) (dir string, files []poclBinaryFile) {
	if !bytes.HasPrefix(bin, []byte(poclBinaryMagic)) {
		return "", nil
	}
	loc := poclBinaryDir().FindIndex(bin[:min(len(bin), 256)])
	if loc == nil {
		return "", nil
	}
	dir = string(bin[loc[0] : loc[1]-1])
	for i := loc[1]; i+8 <= len(bin); i++ {
		n := int(binary.LittleEndian.Uint32(bin[i:]))
		if n < 2 || n > 4096 || i+8+n > len(bin) || !cleanFilePath(bin[i+4:i+4+n]) {
			continue
		}
		size := int(binary.LittleEndian.Uint32(bin[i+4+n:]))
		if size == 0 || i+8+n+size > len(bin) {
			continue
		}
		files = append(files, poclBinaryFile{path: string(bin[i+5 : i+4+n]), size: size})
		i += 8 + n + size - 1
	}
	if len(files) == 0 {
		return "", nil
	}
	return dir, files
}

// cleanFilePath says whether p is a path from "/" of printable ASCII, with
// no empty, "." or ".." part: one of a pocl binary's files.
func cleanFilePath(p []byte) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for _, c := range p {
		if c <= ' ' || c > '~' || c == '\\' {
			return false
		}
	}
	return path.Clean(string(p)) == string(p)
}

// poclBinaryMissing returns the files of bin, a pocl binary, that pocl's
// kernel cache does not hold, which loading it writes there; known is
// false where bin does not say which files it holds (poclBinaryFiles).
func poclBinaryMissing(bin []byte) (missing []poclBinaryFile, known bool) {
	dir, files := poclBinaryFiles(bin)
	if dir == "" {
		return nil, false
	}
	top := poclCacheDir()
	for _, f := range files {
		st, err := os.Stat(filepath.Join(top, filepath.FromSlash(dir), filepath.FromSlash(f.path)))
		if err != nil || !st.Mode().IsRegular() {
			missing = append(missing, f)
		}
	}
	return missing, true
}

// poclBinaryLimitShort returns the error that stands in for loading bin,
// a program binary, on pocl (pocl true) under a file-size limit (ulimit
// -f, RLIMIT_FSIZE) that a file of it that pocl's kernel cache does not
// hold yet exceeds, or nil: pocl writes those into its kernel cache (0.6
// MB for gpusim's program with pocl 3.1, 160 kB its bitcode, the largest
// file), and a write the limit cuts short ends the process ("Generic WG
// function binary does not exist.", SIGABRT, exit 134) or leaves a
// truncated file there. poclFileLimitShort guarded only the build from
// source, saying a program built from a binary writes nothing there, so
// that a start that found the program in gpusim's cache and pocl's kernel
// cache cold (a new POCL_CACHE_DIR, a cleared ~/.cache) aborted, and the
// next start, finding the loading mark of the process that ended,
// discarded the good binary and compiled the source. The binary says what
// it writes, so the bound is its largest file missing there: where
// pocl's kernel cache holds every file (both caches warm) pocl writes
// nothing and the load goes ahead under any limit. A binary that does not
// say (another pocl's format) is held to cacheProbeBytes, as a build from
// source is.
func poclBinaryLimitShort(pocl bool, bin []byte) error {
	if err := poclBinaryDiskShort(pocl, bin); err != nil {
		return err
	}
	return poclBinariesLimitShort(pocl, [][]byte{bin})
}

// BinariesLimitShort is the file-size limit's refusal of
// poclBinaryLimitShort over bins, the binaries of the programs a command
// loads on dev one after another (selftest: the engine's, the self-test's
// and the one without the daily kernels), or nil: what the limit must take
// is the largest file any of them lacks in pocl's kernel cache. Each load
// checked its own binary alone, so that selftest under a limit that its
// own program's files passed said to raise it to 95 KiB, and at 95 KiB
// the next program refused it, asking 113 KiB. A nil binary (a program
// not in gpusim's cache, built from source, as poclFileLimitShort checks)
// is passed over.
func BinariesLimitShort(dev *Device, bins [][]byte) error {
	return poclBinariesLimitShort(isPocl(dev), slices.DeleteFunc(slices.Clone(bins), func(b []byte) bool { return b == nil }))
}

// FileLimited says whether the process runs under a file-size limit
// (ulimit -f, RLIMIT_FSIZE), which BinariesLimitShort checks binaries
// against: without one, there is nothing to read them for.
func FileLimited() bool {
	_, limited := fileLimit()
	return limited
}

// poclBinariesLimitShort is the refusal of loading bins on pocl (pocl
// true) under a file-size limit that a file of them that pocl's kernel
// cache does not hold yet exceeds, or nil (poclBinaryLimitShort).
func poclBinariesLimitShort(pocl bool, bins [][]byte) error {
	limit, limited := fileLimit()
	if runtime.GOOS == "windows" || !limited || limit >= cacheProbeBytes || !pocl || len(bins) == 0 {
		return nil
	}
	what := "the files of the compiled program (its bitcode and shared objects: 0.6 MB with pocl 3.1, 160 kB the largest; gpusim asks for %d MiB to leave room)"
	need, needBytes := fmt.Sprintf("%d MiB", cacheProbeBytes>>20), uint64(cacheProbeBytes)
	// progs counts the programs that lack files there.
	total, largest, count, progs, known := 0, 0, 0, 0, true
	for _, bin := range bins {
		missing, ok := poclBinaryMissing(bin)
		known = known && ok
		for _, f := range missing {
			total += f.size
			largest = max(largest, f.size)
		}
		count += len(missing)
		progs += min(len(missing), 1)
	}
	if known {
		if uint64(largest) <= limit {
			return nil
		}
		// In KiB, rounded up: bash's ulimit -f counts those.
		need, needBytes = fmt.Sprintf("%d KiB", (largest+1023)>>10), uint64(largest)
		files := "files"
		if count == 1 {
			files = "file"
		}
		of := "of the compiled program it does not hold yet (its"
		if progs > 1 {
			of = fmt.Sprintf("of the %d compiled programs loaded here that it does not hold yet (their", progs)
		}
		what = fmt.Sprintf("the %d %s %s bitcode and shared objects: %s, %s the largest)",
			count, files, of, diskfree.SizeText(uint64(total)), diskfree.SizeText(uint64(largest)))
	} else {
		what = fmt.Sprintf(what, cacheProbeBytes>>20)
	}
	program := "the compiled program"
	if progs > 1 {
		program = "the compiled programs"
	}
	return &UnavailableError{Kind: ErrEnvironment,
		Cause: fmt.Sprintf("pocl cannot load %s from gpusim's cache under the file-size limit of %s (ulimit -f, RLIMIT_FSIZE): it writes %s into its kernel cache %s, and ends the process when one is cut short",
			program, diskfree.SizeText(limit), what, poclCacheDir()),
		Hint: fmt.Sprintf("%s for one run, after which pocl's kernel cache holds the files and runs under the limit load them; or %s", fsizeRaise(need, needBytes), useCPU)}
}

// loadBinary is what poclBinaryDiskShort's error says pocl cannot do.
const loadBinary = "load the compiled program from gpusim's cache"

// poclBinaryDiskShort is poclDiskShort for loading bin, a program binary,
// on pocl: the files of it that pocl's kernel cache does not hold yet, in
// all, or cacheProbeBytes where the binary does not say; nil where the
// cache holds them all (pocl writes nothing).
func poclBinaryDiskShort(pocl bool, bin []byte) error {
	if !pocl || poclDiskShort(pocl, cacheProbeBytes, "", "") == nil {
		return nil // room for any: the binary's files not looked up (a warm start's)
	}
	missing, known := poclBinaryMissing(bin)
	if !known {
		return poclDiskShort(pocl, cacheProbeBytes, loadBinary, "the files of the compiled program (its bitcode and shared objects: 0.6 MB with pocl 3.1; gpusim asks for "+diskfree.SizeText(cacheProbeBytes)+" to leave room)")
	}
	total := 0
	for _, f := range missing {
		total += f.size
	}
	files := "files"
	if len(missing) == 1 {
		files = "file"
	}
	return poclDiskShort(pocl, uint64(total), loadBinary, fmt.Sprintf("the %d %s of the compiled program it does not hold yet (its bitcode and shared objects)", len(missing), files))
}
