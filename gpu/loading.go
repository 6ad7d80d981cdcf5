package gpu

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A process that builds a program from a cached binary marks the entry as
// loading (a file beside it, named for the process's ID) until its Open has
// created the kernels and run their first launches. A driver that crashes
// the process on a binary (pocl dereferences what a damaged binary holds,
// past the checksum that a binary written by another build of the driver
// under the same key also passes) would otherwise crash every later process
// too, until the entry were removed by hand. The next process that finds the
// mark of a process that no longer runs discards the entry and builds the
// source instead; a process killed in those milliseconds (a few on a warm
// start) costs the next one that build.

// loadingSuffix is what a mark adds to the entry's path, before the ID.
const loadingSuffix = ".loading."

// markLoading marks the entry at path as loading in this process and
// returns the function that removes the mark (nil when it could not be
// made: the load goes on unmarked, as without a disk cache). The mark is
// made new (O_EXCL), never opened through what is in its place: with
// O_TRUNC a link there (a cache folder others can write) emptied the file
// it named, and a dangling one made it.
func markLoading(path string) (done func()) {
	mark := path + loadingSuffix + strconv.Itoa(os.Getpid())
	f, err := os.OpenFile(mark, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil
	}
	f.Close()
	return func() { os.Remove(mark) }
}

// crashedLoading returns the ID of a process that marked the entry at path
// as loading and no longer runs, removing the marks of such processes, or 0
// when there is none. A mark with this process's own ID is an earlier
// process's (a container's processes often have the same small IDs).
func crashedLoading(path string) (pid int) {
	dir, prefix := filepath.Split(path)
	entries, _ := os.ReadDir(dir)
	for _, ent := range entries {
		rest, ok := strings.CutPrefix(ent.Name(), prefix+loadingSuffix)
		if !ok {
			continue
		}
		id, err := strconv.Atoi(rest)
		if err != nil || id <= 0 || id != os.Getpid() && running(id) {
			continue
		}
		os.Remove(filepath.Join(dir, ent.Name()))
		pid = id
	}
	return pid
}

// crashNote is the note for an entry that crashedLoading found; what says
// what became of it.
func crashNote(pid int, what string) string {
	return fmt.Sprintf("cache: process %d ended while it loaded the compiled program from the cache, which may have crashed it: %s", pid, what)
}
