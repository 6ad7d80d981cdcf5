// Package cgroup finds the folders of this process's cgroups (cgroups(7)),
// v2's unified hierarchy and v1's per controller, from /proc/self/cgroup:
// the one reading of that file behind the CPU limit (internal/cputime) and
// the memory limit (internal/sysmem). Reading a limit's files is the
// caller's.
package cgroup

import (
	"os"
	"strings"
)

// Hierarchy is one hierarchy of the process that holds a controller.
type Hierarchy struct {
	// Root is the hierarchy's mount: the cgroup file system's root for
	// v2, its controller's folder there for v1 (/sys/fs/cgroup/memory).
	Root string
	// Path is the process's cgroup in it, as /proc/self/cgroup gives it
	// (/user.slice/..., or / inside a cgroup namespace, where the
	// process's own cgroup is the mount's root).
	Path string
	V2   bool
}

// Find reads procFile (/proc/self/cgroup; tests name another) and returns,
// in its order, the hierarchies that hold controller ("cpu", "memory"):
// v2's, which holds every controller, and v1's whose list names it, with
// their folders under fsRoot (/sys/fs/cgroup). None where the file cannot
// be read (no /proc, another system). A line is
// hierarchy-ID:controller-list:cgroup-path; a malformed one is skipped.
func Find(procFile, fsRoot, controller string) []Hierarchy {
	b, err := os.ReadFile(procFile)
	if err != nil {
		return nil
	}
	var hs []Hierarchy
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		switch {
		case len(f) != 3:
		case f[0] == "0" && f[1] == "":
			hs = append(hs, Hierarchy{Root: fsRoot, Path: f[2], V2: true})
		case hasController(f[1], controller):
			hs = append(hs, Hierarchy{Root: fsRoot + "/" + controller, Path: f[2]})
		}
	}
	return hs
}

func hasController(list, c string) bool {
	for _, x := range strings.Split(list, ",") {
		if x == c {
			return true
		}
	}
	return false
}
