package gpu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
)

// EnvCacheDir names the environment variable that moves gpusim's cache
// folder (compiled programs, self-test passes) from os.UserCacheDir()/gpusim;
// "off" turns the disk cache off.
const EnvCacheDir = cachedir.Env

// CacheDir is the folder of gpusim's disk cache, or "" when it is off or
// there is no user cache folder.
func CacheDir() string { return cachedir.Dir() }

// programRoom is what a compiled program's entry is taken to take before
// it is built, when its size is not known: pocl's binary of gpusim's
// program is 0.48 MB, and the self-test's entry beside it a few bytes.
// cacheStore's write checks the entry's own size (cachedir.WriteFile).
const programRoom = 1 << 20

// CacheWritable says why gpusim's cache folder cannot keep a compiled
// program: caching is off, the folder cannot be written
// (cachedir.Writable), or its file system has less than programRoom (1 MiB)
// free besides the cachedir.FreeMargin (1 MiB) the cache leaves free (on a full disk
// the cold-start note promised a program cached for later runs, and the
// cache's note then said it was not written), or its programs subfolder
// cannot be made (a file in its place: auto's advice to compile the
// program with gpusim selftest could never be followed, and a start that
// compiled said nothing of it), or written (a cache folder shared by
// several users, mode 1777, whose programs subfolder another user made:
// every start compiled and said the program "is cached for later runs",
// and auto's advice to compile it with gpusim selftest could never be
// followed). The selftest subfolder is not one: without
// it the programs are kept, and each start runs the self-test's checks
// (the cache's note says it was not written). It is nil when the program
// can be kept.
//
// Where the folder can be written and only the room falls short, the
// error is a *CacheRoomError: the room is judged before the build, on
// programRoom, and a program that turns out smaller may be kept after
// all; not where no entry fits at all (cachedir.RoomError.NoEntryFits).
func CacheWritable() error {
	if err := cachedir.Writable(); err != nil {
		return err
	}
	programs := filepath.Join(cachedir.Dir(), "programs")
	if err := cachedir.MkdirAll(programs); err != nil {
		return err
	}
	if err := cachedir.WritableDir(programs); err != nil {
		return err
	}
	err := cachedir.Room(programRoom, "a compiled program")
	if re := (*cachedir.RoomError)(nil); errors.As(err, &re) && !re.NoEntryFits() {
		return &CacheRoomError{Err: err}
	}
	return err
}

// CacheRoomError is CacheWritable's error where the cache folder can be
// written but its file system has less free than a compiled program is
// taken to need before it is built (programRoom, and the margin the cache
// leaves free): a program that turns out smaller is kept after all (pocl's
// are 0.2 to 0.5 MB), so a note may say only that it may not be kept. On a
// file system with 1 MB free, "every start compiles it" was said of
// programs that were then cached, and the next start loaded them.
type CacheRoomError struct{ Err error }

func (e *CacheRoomError) Error() string { return e.Err.Error() }
func (e *CacheRoomError) Unwrap() error { return e.Err }

// IsCacheRoom reports whether err, from CacheWritable, is a
// *CacheRoomError: the program may be kept all the same.
func IsCacheRoom(err error) bool {
	var re *CacheRoomError
	return errors.As(err, &re)
}

// CacheFaultSaid records that err, from CacheWritable, was said to the
// user (the engine's note that every start compiles, and why): a write
// that then fails for the same reason adds no note of its own. A cache
// folder with a file in its way was named twice, in the engine's note and
// in "cache: not written".
//
// Loads that failed for that cause before it was said (the self-test's
// program is looked for before the engine's note) have their notes
// dropped: "cache: open DIR/programs/...: permission denied" followed the
// note once for each program loaded first.
func CacheFaultSaid(err error) {
	if err != nil {
		faultSaid.Store(err.Error())
		var errno syscall.Errno
		if errors.As(err, &errno) {
			faultErrno.Store(errno)
			cacheNotes.Drop(func(n string) bool {
				e, ok := loadFaults.Load(n)
				return ok && e == errno
			})
		}
	}
}

// loadFaults maps the note of each load that failed (cacheLoadSum) to its
// system error, for CacheFaultSaid to drop those of the cause it records.
var loadFaults sync.Map

// faultSaidFor reports whether err, a write's in the cache, has the cause
// that CacheFaultSaid recorded as said: the same text, or the same system
// error (a read-only file system, a folder this user cannot write), which
// the write met on another path: a read-only cache folder, said in the
// engine's note, was said again as "cache: not written ... mkdir
// DIR/programs: read-only file system".
func faultSaidFor(err error) bool {
	if said, _ := faultSaid.Load().(string); said == err.Error() {
		return true
	}
	var errno syscall.Errno
	said, _ := faultErrno.Load().(syscall.Errno)
	return said != 0 && errors.As(err, &errno) && errno == said
}

// faultErrno is the system error of the error CacheFaultSaid recorded
// last, where it has one.
var faultErrno atomic.Value

// RebuildSaid records that the rebuild of the program entry at path, and
// its cause (RebuildCause), were said to the user (the engine's note as
// the compile starts): the cache's own note of that entry, "cache: path is
// corrupt or stale: rebuilt" or "cache: process N ended while it loaded
// ...: discarded, rebuilt from source", is dropped. A corrupt entry of the
// engine's program was named in two notes, where the self-test's
// program's had one, and so was the discard after a crash.
func RebuildSaid(path string) {
	if path == "" {
		return
	}
	rebuildSaid.Store(path, true)
	corrupt := "cache: " + path + " is corrupt or stale"
	read := "cache: read " + path + ": "
	crash, _ := crashNotes.Load(path)
	cacheNotes.Drop(func(n string) bool { return strings.HasPrefix(n, corrupt) || strings.HasPrefix(n, read) || n == crash })
}

// rebuildSaid holds the entries whose rebuild RebuildSaid recorded as
// said: a failed read of one adds no note of its own after it.
var rebuildSaid sync.Map

// faultSaid is the text of the error CacheFaultSaid recorded last.
var faultSaid atomic.Value

// cacheNotes are what went wrong with the disk cache (an unwritable
// folder, a corrupt entry rebuilt).
var cacheNotes cachedir.Notes

// CacheNotes returns the notes about the disk cache so far in the process
// (an unwritable folder, a corrupt entry rebuilt), for the CLI to print.
// The OpenCL probe's record that was not written (cl.ProbeUnkept) is one,
// "cache: not written" as cacheStore's, unless its cause was said
// (CacheFaultSaid).
func CacheNotes() []string {
	if err := cl.ProbeUnkept(); err != nil && !faultSaidFor(err) {
		cacheNotes.Add("cache: not written (gpusim works without it; set %s to a writable folder, or off): %v", EnvCacheDir, err)
	}
	return cacheNotes.List()
}

// cacheMagic starts every cache file. A file is the magic, the key it was
// stored under and the checksum of its data (entrySum), one line each, then
// the data: an entry whose key or checksum does not match is stale or
// corrupt, and never trusted. Format 1 held the data's SHA-256, whose 0.27
// ms for the program's 379 kB counted in every OpenCL warm start; format 2
// a CRC-32C, whose table (crc32.MakeTable(crc32.Castagnoli), built as the
// package initialized) took 0.17 to 0.26 ms of every gpusim process's start
// (GODEBUG=inittrace=1), the commands that open no device too. Format 3's
// CRC-32 takes 0.03 ms, its first use included (0.01 after). programKey
// names the format (cacheFormat), so that earlier formats' entries are not
// found rather than noted as corrupt.
const cacheMagic = "gpusim-cache 3\n"

// cacheFormat is the part of programKey that names the entries' format.
const cacheFormat = "cache entry format 3"

// entrySumLen is the length of entrySum's text.
const entrySumLen = 8 + 1 + 16

// entrySum is a cache entry's checksum of its data b: CRC-32 (the IEEE
// 802.3 polynomial, as in gzip, zip and PNG; carry-less multiplication on
// amd64, the CRC32 instructions on arm64), which finds every burst error of
// up to 32 bits and any other change but for one in 2^32, then b's length,
// as "crc-len" in hexadecimal (entrySumLen characters). It guards against a
// damaged or truncated file, not against a forged one: whoever may write
// the cache folder may write any entry with its checksum. The self-test's
// stored passes name the binary they vouch for by it (selfTestKey).
func entrySum(b []byte) string {
	return fmt.Sprintf("%08x-%016x", crc32.ChecksumIEEE(b), uint64(len(b)))
}

// cachePath is the file of key in the cache's kind folder, or "".
func cachePath(kind, key string) string {
	d := CacheDir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, kind, key[:32])
}

// cacheLoad returns the data stored under key, or nil when there is none or
// it does not check out (a note says so, and the caller rebuilds it).
func cacheLoad(kind, key string) []byte {
	data, _ := cacheLoadSum(kind, key)
	return data
}

// cacheLoadSum is cacheLoad that also returns the data's checksum (entrySum),
// which the entry holds and cacheLoad verifies.
func cacheLoadSum(kind, key string) (data []byte, checksum string) {
	path := cachePath(kind, key)
	if path == "" || isBypassed(kind, key) || isSkipped(kind, key) {
		return nil, ""
	}
	b, err := cachedir.ReadFile(path)
	if err != nil {
		// A folder on the path that is a file (ENOTDIR), or a link in a
		// loop of links (ELOOP), holds no entry, as one that does not
		// exist: cacheStore's note says why the cache is not kept. It was a third note of one cause beside
		// that one and the engine's "every start compiles it".
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			// A folder in the entry's place: cacheStore replaces it or
			// its note says to remove it.
			return nil, ""
		}
		// Nor is one whose cause the engine's note said already
		// (CacheFaultSaid): a cache folder this user cannot search, or
		// a name too long, read "cache: open DIR/programs/...:
		// permission denied" once for each program after that note.
		if _, said := rebuildSaid.Load(path); !said && !os.IsNotExist(err) && !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, syscall.ELOOP) && !faultSaidFor(err) {
			note := fmt.Sprintf("cache: %v", err)
			cacheNotes.Add("%s", note)
			var errno syscall.Errno
			if errors.As(err, &errno) {
				loadFaults.Store(note, errno)
			}
		}
		return nil, ""
	}
	head := cacheMagic + key + "\n"
	n := len(head) + entrySumLen
	if len(b) < n+1 || string(b[:len(head)]) != head || b[n] != '\n' ||
		string(b[len(head):n]) != entrySum(b[n+1:]) {
		cacheNotes.Add("cache: %s is corrupt or stale: rebuilt", path)
		if kind == "programs" {
			rebuildCauses.Store(path, fmt.Sprintf("its cached one (%s) is corrupt or stale", path))
		}
		return nil, ""
	}
	return b[n+1:], string(b[len(head):n])
}

// cacheStore writes data under key atomically (a temporary file renamed)
// and reports whether it did; a cache that cannot be written is a note.
func cacheStore(kind, key string, data []byte) (stored bool) {
	path := cachePath(kind, key)
	if path == "" || isBypassed(kind, key) {
		return false
	}
	b := make([]byte, 0, len(cacheMagic)+len(key)+entrySumLen+2+len(data))
	b = append(b, cacheMagic+key+"\n"+entrySum(data)+"\n"...)
	b = append(b, data...)
	if err := writeAtomic(path, b); err != nil {
		if faultSaidFor(err) {
			return false
		}
		cacheNotes.Add("cache: not written (gpusim works without it; set %s to a writable folder, or off): %v", EnvCacheDir, err)
		return false
	}
	return true
}

// writeAtomic is cachedir.WriteFile; tests make it fail (a read-only cache
// folder, which root's writes pass).
var writeAtomic = cachedir.WriteFile

// sum is the SHA-256 of b in hexadecimal: the keys of cache entries and of
// the self-test's passes, and the checksum of the self-test's own source.
func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// cacheRemove deletes the entry of key, if any; the error says why an entry
// is left.
func cacheRemove(kind, key string) error {
	if path := cachePath(kind, key); path != "" {
		if err := removeFile(path); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// removeFile is os.Remove; tests make it fail.
var removeFile = os.Remove

// bypassed holds the entries ("kind/key") the process no longer trusts: a
// bad entry that could not be removed. They are neither loaded nor written
// again, so the process builds what they hold instead.
var bypassed struct {
	sync.Mutex
	m    map[string]bool
	skip map[string]int // cacheSkipLoad: the retries under way
}

// cacheBypass makes the process ignore the entry of key from now on.
func cacheBypass(kind, key string) {
	bypassed.Lock()
	defer bypassed.Unlock()
	if bypassed.m == nil {
		bypassed.m = map[string]bool{}
	}
	bypassed.m[kind+"/"+key] = true
}

func isBypassed(kind, key string) bool {
	bypassed.Lock()
	defer bypassed.Unlock()
	return bypassed.m[kind+"/"+key]
}

func isSkipped(kind, key string) bool {
	bypassed.Lock()
	defer bypassed.Unlock()
	return bypassed.skip[kind+"/"+key] > 0
}

// cacheSkipLoad makes the process build what the entry of key holds rather
// than load it, while on, still writing it: Open's retry from source. The
// retries under way are counted, and the entry is loaded again once the
// last is off: OpenMulti's devices of one model share an entry, and two of
// them retry at once where its binary did not start on either; with one
// flag, the first retry's end let the second's open load the entry (and
// discard it as the binary that did not start).
func cacheSkipLoad(kind, key string, on bool) {
	bypassed.Lock()
	defer bypassed.Unlock()
	if bypassed.skip == nil {
		bypassed.skip = map[string]int{}
	}
	k := kind + "/" + key
	if on {
		bypassed.skip[k]++
	} else if bypassed.skip[k]--; bypassed.skip[k] <= 0 {
		delete(bypassed.skip, k)
	}
}

// selfTestKey is the key of the self-test's stored pass for the program of
// programKey key built from the cached binary whose checksum is binSum, on
// the device d: a pass vouches for that binary, not for whatever binary a
// later process finds under key; for that device, by its index and the
// variables that choose which physical device the index names
// (deviceSelection: with two GPUs of one model, the second trusted the
// first's pass and never ran its own checks); and for the checks
// themselves (selfTestChecks: a gpusim whose checks changed, its kernels
// not, trusted the passes of the checks before).
func selfTestKey(key, binSum string, d DeviceDesc) string {
	return sum([]byte(key + "\n" + binSum + "\n" + strconv.Itoa(d.Index) + "\n" + deviceSelection() + selfTestChecks()))
}

// loadSelfTest returns a stored pass of the cheap checks under key, or nil.
func loadSelfTest(key string) *SelfTest {
	b := cacheLoad("selftest", key)
	if b == nil {
		return nil
	}
	var st SelfTest
	if err := json.Unmarshal(b, &st); err != nil || st.Failed() != nil || !slices.ContainsFunc(st.Checks, func(c Check) bool { return c.Name == katCheck && c.Status == CheckPass }) {
		// A pass holds Random123's known answers, passed, at least: an
		// entry of no checks ({} under a valid checksum) was trusted.
		return nil
	}
	st.Cached, st.Took = true, 0
	return &st
}

// saveSelfTest stores a pass of the cheap checks under key.
func saveSelfTest(key string, st *SelfTest) {
	b, err := json.Marshal(st)
	if err == nil {
		cacheStore("selftest", key, b)
	}
}
