package cgroup

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestFind: the hierarchies that hold a controller, v2's and v1's whose
// list names it (not one whose name only contains it), in the file's
// order, and none without the file.
func TestFind(t *testing.T) {
	for _, c := range []struct {
		name, file, controller string
		want                   []Hierarchy
	}{
		{"v2", "0::/a/b\n", "cpu", []Hierarchy{{"/fs", "/a/b", true}}},
		{"v2 namespace root", "0::/\n", "memory", []Hierarchy{{"/fs", "/", true}}},
		{"v1", "12:cpu,cpuacct:/x\n3:memory:/y\n", "memory", []Hierarchy{{"/fs/memory", "/y", false}}},
		{"v1 in a list", "12:cpuacct,cpu:/x\n", "cpu", []Hierarchy{{"/fs/cpu", "/x", false}}},
		{"v1 a longer name", "12:cpuacct:/x\n4:cpuset:/x\n", "cpu", nil},
		{"hybrid", "1:cpu:/x\n0::/z\n", "cpu", []Hierarchy{{"/fs/cpu", "/x", false}, {"/fs", "/z", true}}},
		{"v1 named 0 with controllers", "0:memory:/x\n", "memory", []Hierarchy{{"/fs/memory", "/x", false}}},
		{"malformed", "garbage\n1:cpu\n0::/a:b\n", "cpu", []Hierarchy{{"/fs", "/a:b", true}}},
		{"empty", "", "cpu", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "cgroup")
			if err := os.WriteFile(file, []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := Find(file, "/fs", c.controller); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Find(%q, %s) = %v, want %v", c.file, c.controller, got, c.want)
			}
		})
	}
	if got := Find(filepath.Join(t.TempDir(), "none"), "/fs", "cpu"); got != nil {
		t.Errorf("without the file: %v, want none", got)
	}
}
