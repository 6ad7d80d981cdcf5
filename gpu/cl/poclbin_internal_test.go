package cl

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// poclTestBinary is a pocl binary of pocl 3.1's form (format 9): its
// header, the program's folder, the bitcode (100 kB, the largest), and
// one kernel's metadata (with a name and an argument's, which are not
// files) and two shared objects.
func poclTestBinary() []byte {
	return poclTestBinaryOf("NP/GOKNHIJKGDIPEBDHJKHNKNDDEJAPPBNPPMGGK", 100<<10)
}

// poclTestBinaryOf is poclTestBinary with the program's folder dir and a
// bitcode of size bytes.
func poclTestBinaryOf(dir string, size int) []byte {
	le32 := func(b []byte, n int) []byte { return binary.LittleEndian.AppendUint32(b, uint32(n)) }
	file := func(b []byte, path, content string) []byte {
		b = le32(b, len(path))
		b = append(b, path...)
		b = le32(b, len(content))
		return append(b, content...)
	}
	b := []byte(poclBinaryMagic)
	b = append(b, 0x0c, 0x7b, 0x30, 0x5d, 0xe9, 0x5b, 0xee, 0x02) // device
	b = le32(b, 9)                                                // version
	b = le32(b, 1)                                                // kernels
	b = append(b, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0)
	b = append(b, dir+"\x00"...)
	bc := "BC\xc0\xde/x" + strings.Repeat("\x00", size)
	b = binary.LittleEndian.AppendUint64(b, uint64(4+11+4+len(bc)))
	b = file(b, "/program.bc", bc)
	b = binary.LittleEndian.AppendUint64(b, 0) // the kernel's sizes
	b = le32(b, 7)
	b = append(b, "weather"...)
	b = le32(b, 3)
	b = append(b, "out"...) // an argument's name, not a file
	b = file(b, "/weather/0-0-0/weather.so", "\x7fELF libm.so.6 /lib/x")
	return file(b, "/weather/8-1-1-goffs0-smallgrid/weather.so", "\x7fELF 8")
}

// TestPoclBinaryLimitShort: under ulimit -f a program loaded on pocl from
// gpusim's cache with pocl's kernel cache cold aborted the process ("Generic
// WG function binary does not exist.", exit 134), pocl writing the
// binary's files there, cut short: poclFileLimitShort guarded the build from
// source alone, as if a load wrote nothing. The load is refused, naming the
// limit and the files, where a file the kernel cache lacks exceeds the
// limit, or under 8 MiB where the binary does not say which it holds; where
// the kernel cache holds them all, pocl writes nothing and the load goes
// ahead, as it does where those it lacks fit. Without a limit, at 8 MiB or
// more, or on another driver, nothing is refused.
func TestPoclBinaryLimitShort(t *testing.T) {
	bin := poclTestBinary()
	dir, files := poclBinaryFiles(bin)
	var paths []string
	for _, f := range files {
		paths = append(paths, f.path)
	}
	if want := "program.bc weather/0-0-0/weather.so weather/8-1-1-goffs0-smallgrid/weather.so"; dir != "NP/GOKNHIJKGDIPEBDHJKHNKNDDEJAPPBNPPMGGK" || strings.Join(paths, " ") != want {
		t.Fatalf("poclBinaryFiles: %q %q, want the program's folder and %q", dir, paths, want)
	}
	cache := t.TempDir()
	t.Setenv(envPoclCacheDir, cache)
	limit, limited := uint64(50<<10), true
	defer func(f func() (uint64, bool)) { fileLimit = f }(fileLimit)
	fileLimit = func() (uint64, bool) { return limit, limited }
	put := func(p string) {
		p = filepath.Join(cache, dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	err := poclBinaryLimitShort(true, bin)
	if !errors.Is(err, ErrEnvironment) || !strings.Contains(err.Error(), "pocl cannot load the compiled program from gpusim's cache under the file-size limit of 51.2 kB") ||
		!strings.Contains(err.Error(), "the 3 files of the compiled program it does not hold yet") || !strings.Contains(err.Error(), "102 kB the largest") ||
		!strings.Contains(err.Error(), cache) || !strings.Contains(HintFor(err), "raise the limit to 101 KiB or more (ulimit -f 101 in bash, which counts KiB; ulimit -f 201 in sh, which counts 512-byte blocks; or ulimit -f unlimited) for one run") {
		t.Fatalf("cold kernel cache: %v (hint %q), want the limit's refusal naming the files, the largest and the cache", err, HintFor(err))
	}
	if err := poclBinaryLimitShort(false, bin); err != nil {
		t.Errorf("another driver: %v", err)
	}
	if err := poclBinaryLimitShort(true, []byte("not pocl's")); !errors.Is(err, ErrEnvironment) || !strings.Contains(HintFor(err), "raise the limit to 8 MiB or more (ulimit -f 8192 in bash, which counts KiB; ulimit -f 16384 in sh, which counts 512-byte blocks; or ulimit -f unlimited)") {
		t.Errorf("a binary that says no files: %v, want the refusal under 8 MiB (what a load writes is not known)", err)
	}

	// The shared objects there, the bitcode not: it is past the limit.
	put(paths[1])
	put(paths[2])
	if err := poclBinaryLimitShort(true, bin); err == nil || !strings.Contains(err.Error(), "the 1 file of") {
		t.Errorf("the bitcode missing: %v, want the refusal naming one file", err)
	}
	put(paths[0])
	if err := poclBinaryLimitShort(true, bin); err != nil {
		t.Errorf("every file in the kernel cache: %v, want none (pocl writes nothing)", err)
	}
	// The bitcode there, the shared objects not: they fit.
	os.RemoveAll(filepath.Join(cache, dir, "weather"))
	if err := poclBinaryLimitShort(true, bin); err != nil {
		t.Errorf("the files missing fit the limit: %v, want none", err)
	}
	os.RemoveAll(filepath.Join(cache, dir))
	for _, l := range []struct {
		limit   uint64
		limited bool
	}{{0, false}, {cacheProbeBytes, true}, {101 << 10, true}} {
		limit, limited = l.limit, l.limited
		if err := poclBinaryLimitShort(true, bin); err != nil {
			t.Errorf("limit %d (limited %v): %v", l.limit, l.limited, err)
		}
	}
}

// TestPoclBinariesLimitShort: the programs a command loads one after
// another (selftest's three) are refused together, the limit the hint
// names the largest file any of them lacks: each load checked its own, and
// selftest's hint asked 95 KiB for the self-test's program, under which the
// next program was refused, asking 113 KiB. A program whose files pocl's
// kernel cache holds is not counted, and nil binaries (programs built from
// source) are passed over.
func TestPoclBinariesLimitShort(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(envPoclCacheDir, cache)
	defer func(f func() (uint64, bool)) { fileLimit = f }(fileLimit)
	fileLimit = func() (uint64, bool) { return 90 << 10, true }
	small := poclTestBinaryOf("KN/NDJNNHMNBJNGKMEONODIDDPAMOKNDGIJOHJBM", 95<<10)
	large := poclTestBinaryOf("DE/DEIINFCHLAMICFLKGHOPAMKGPAFNAINNAEPPP", 112<<10)
	held := poclTestBinary()
	holdPoclFiles(t, cache, held)
	err := poclBinariesLimitShort(true, [][]byte{held, small, large})
	if !errors.Is(err, ErrEnvironment) || !strings.Contains(err.Error(), "pocl cannot load the compiled programs from gpusim's cache") ||
		!strings.Contains(err.Error(), "the 6 files of the 2 compiled programs loaded here that it does not hold yet") ||
		!strings.Contains(HintFor(err), "raise the limit to 113 KiB or more") {
		t.Errorf("two programs past the limit: %v (hint %q), want both counted and the larger's largest file named", err, HintFor(err))
	}
	if err := poclBinariesLimitShort(true, [][]byte{held, small}); err == nil || !strings.Contains(err.Error(), "the 3 files of the compiled program it does not hold yet") ||
		!strings.Contains(HintFor(err), "raise the limit to 96 KiB or more") {
		t.Errorf("one program past the limit: %v (hint %q)", err, HintFor(err))
	}
	if err := BinariesLimitShort(nil, [][]byte{nil, small}); err != nil {
		t.Errorf("not pocl: %v", err)
	}
}

// holdPoclFiles writes in pocl's kernel cache the files of bin's program,
// as if pocl had kept them.
func holdPoclFiles(t *testing.T, cache string, bin []byte) {
	t.Helper()
	dir, files := poclBinaryFiles(bin)
	for _, f := range files {
		p := filepath.Join(cache, dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPoclDiskShort: pocl on a full file system (a home over its quota, a
// full /tmp) ended the process in LLVM ("LLVM ERROR: IO failure on output
// stream: No space left on device", exit 1) building from source, and
// aborted loading a binary whose files its kernel cache lacked ("Generic WG
// function binary does not exist.", exit 134): no gpusim error, no
// fallback of auto's. A build is refused where the kernel cache's file
// system has under 8 MiB free, a load where it has less than the files it
// lacks take; where the cache holds them all the load goes ahead on a full
// disk. Where the free space cannot be asked, or on another driver,
// nothing is refused.
func TestPoclDiskShort(t *testing.T) {
	bin := poclTestBinary()
	dir, _ := poclBinaryFiles(bin)
	cache := t.TempDir()
	t.Setenv(envPoclCacheDir, cache)
	defer func(f func(string) (uint64, uint64, bool)) { diskFree = f }(diskFree)
	free, ok := uint64(60<<10), true
	asked := ""
	diskFree = func(d string) (uint64, uint64, bool) { asked = d; return free, 1, ok }

	err := BuildLimitShortIf(true)
	if !errors.Is(err, ErrEnvironment) || !strings.Contains(err.Error(), "pocl cannot build the program: it writes the preprocessed source") ||
		!strings.Contains(err.Error(), "which may need up to 8.39 MB, but its file system ("+cache+") has 61.4 kB free") ||
		!strings.Contains(HintFor(err), "free space there, or point POCL_CACHE_DIR at a folder with room") {
		t.Errorf("a build on a full disk: %v (hint %q), want the refusal naming the room", err, HintFor(err))
	}
	if asked != cache {
		t.Errorf("asked the free space of %q, want the kernel cache %q", asked, cache)
	}
	if err := BuildLimitShortIf(false); err != nil {
		t.Errorf("another driver: %v", err)
	}
	err = poclBinaryLimitShort(true, bin)
	if !errors.Is(err, ErrEnvironment) || !strings.Contains(err.Error(), "pocl cannot load the compiled program from gpusim's cache: it writes the 3 files of the compiled program it does not hold yet") ||
		!strings.Contains(err.Error(), "which may need up to 102 kB, but its file system") {
		t.Errorf("a load on a full disk, the kernel cache cold: %v, want the refusal naming the files", err)
	}
	if err := poclBinaryLimitShort(true, []byte("not pocl's")); err == nil || !strings.Contains(err.Error(), "may need up to 8.39 MB") {
		t.Errorf("a binary that says no files: %v, want the refusal under 8 MiB", err)
	}
	holdPoclFiles(t, cache, bin)
	if err := poclBinaryLimitShort(true, bin); err != nil {
		t.Errorf("every file in the kernel cache: %v, want none (pocl writes nothing)", err)
	}
	free = 200 << 10
	os.RemoveAll(filepath.Join(cache, dir))
	if err := poclBinaryLimitShort(true, bin); err != nil {
		t.Errorf("the files fit: %v, want none", err)
	}
	free, ok = 0, false
	if err := BuildLimitShortIf(true); err != nil {
		t.Errorf("free space not known: %v, want none", err)
	}
	free, ok = cacheProbeBytes, true
	if err := BuildLimitShortIf(true); err != nil {
		t.Errorf("8 MiB free: %v, want none", err)
	}
}
