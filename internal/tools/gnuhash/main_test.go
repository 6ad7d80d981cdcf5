package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// build returns gpusim built as `make build` builds it (without cgo), once
// per test process; the tests copy it before changing it.
var build = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "gnuhash-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "gpusim")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/gpusim/gpusim/cmd/gpusim")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, errors.New(string(out))
	}
	return os.ReadFile(bin)
})

func gpusim(t *testing.T) []byte {
	t.Helper()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("gpusim's build is rewritten on 64-bit little-endian Linux")
	}
	b, err := build()
	if err != nil {
		t.Fatalf("go build: %v", err)
	}
	return b
}

// dynTags returns the tags of f's dynamic section.
func dynTags(t *testing.T, f *elf.File) map[elf.DynTag]uint64 {
	t.Helper()
	d := f.SectionByType(elf.SHT_DYNAMIC)
	data, err := d.Data()
	if err != nil {
		t.Fatal(err)
	}
	tags := map[elf.DynTag]uint64{}
	for i := 0; i+16 <= len(data); i += 16 {
		tag := elf.DynTag(binary.LittleEndian.Uint64(data[i:]))
		if tag == elf.DT_NULL {
			break
		}
		tags[tag] = binary.LittleEndian.Uint64(data[i+8:])
	}
	return tags
}

// TestPatchGpusim rewrites gpusim's own build: a GNU table that holds no
// symbol in place of the SysV one, and nothing else changed. If Go's linker
// ever writes a binary patch leaves alone, this fails, and `make build`
// would quietly lose the speed-up.
func TestPatchGpusim(t *testing.T) {
	b := gpusim(t)
	out, err := patch(b)
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	if len(out) != len(b) {
		t.Fatalf("size %d, want %d", len(out), len(b))
	}
	f, err := elf.NewFile(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	tags := dynTags(t, f)
	if _, ok := tags[elf.DT_HASH]; ok {
		t.Error("DT_HASH left")
	}
	s := f.SectionByType(elf.SHT_GNU_HASH)
	if s == nil || tags[elf.DT_GNU_HASH] != s.Addr {
		t.Fatalf("DT_GNU_HASH %#x, section %v", tags[elf.DT_GNU_HASH], s)
	}
	data, _ := s.Data()
	syms, _ := f.DynamicSymbols()
	want := []uint32{1, uint32(len(syms) + 1), 1, 6, 0, 0, 0}
	for i, w := range want {
		if got := binary.LittleEndian.Uint32(data[4*i:]); got != w {
			t.Errorf("word %d: got %#x, want %#x", i, got, w)
		}
	}
	// Only the table, one dynamic tag and the section header's type and
	// entry size differ.
	diff := 0
	for i := range b {
		if b[i] != out[i] {
			diff++
		}
	}
	if diff == 0 || diff > int(s.Size)+8+4+8 {
		t.Errorf("%d bytes differ", diff)
	}
	if _, err := patch(out); err == nil || !strings.Contains(err.Error(), "GNU hash table already") {
		t.Errorf("patching twice: %v, want a skip", err)
	}
}

// TestPatchedRuns runs the rewritten gpusim: the dynamic loader takes it,
// and with OpenCL present it loads the driver through it and gives the
// digest of the original build.
func TestPatchedRuns(t *testing.T) {
	b := gpusim(t)
	dir := t.TempDir()
	orig, patched := filepath.Join(dir, "orig"), filepath.Join(dir, "patched")
	if err := os.WriteFile(orig, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(patched, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := patchFile(patched); err != nil {
		t.Fatalf("patchFile: %v", err)
	}
	if fi, err := os.Stat(patched); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode after patching: %v %v", fi, err)
	}
	digest := regexp.MustCompile(`(?m)^digest +([0-9a-f]{16})$`)
	run := func(bin, engine string) (string, error) {
		cmd := exec.Command(bin, "run", "--engine", engine, "--lanes", "1000", "--steps", "10")
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR=off")
		out, err := cmd.CombinedOutput()
		m := digest.FindSubmatch(out)
		if err != nil || m == nil {
			return "", errors.New(string(out))
		}
		return string(m[1]), nil
	}
	want, err := run(orig, "serial")
	if err != nil {
		t.Fatalf("original build: %v", err)
	}
	for _, engine := range []string{"serial", "opencl"} {
		got, err := run(patched, engine)
		if err != nil && engine == "opencl" && os.Getenv("CI") != "true" {
			if _, err0 := run(orig, engine); err0 != nil {
				t.Logf("no OpenCL here: %v", err0)
				continue
			}
		}
		if err != nil {
			t.Fatalf("patched build, %s: %v", engine, err)
		}
		if got != want {
			t.Errorf("patched build, %s: digest %s, want %s", engine, got, want)
		}
	}
}

// TestPatchSkips leaves alone what it cannot rewrite exactly, the file
// unchanged.
func TestPatchSkips(t *testing.T) {
	b := gpusim(t)
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	dynsym := f.SectionByType(elf.SHT_DYNSYM)
	hash := f.SectionByType(elf.SHT_HASH)
	shoff := binary.LittleEndian.Uint64(b[0x28:])
	hashHeader := -1
	for i, s := range f.Sections {
		if s == hash {
			hashHeader = int(shoff) + 64*i
		}
	}
	cases := []struct {
		name string
		edit func(c []byte) []byte
		want string
	}{
		{"not ELF", func(c []byte) []byte { return []byte("#!/bin/sh\necho hi\n") }, "not an ELF file"},
		{"truncated", func(c []byte) []byte { return c[:100] }, "not an ELF file"},
		{"32-bit", func(c []byte) []byte { c[elf.EI_CLASS] = byte(elf.ELFCLASS32); return c }, ""},
		{"relocatable", func(c []byte) []byte { binary.LittleEndian.PutUint16(c[16:], uint16(elf.ET_REL)); return c }, "not an executable"},
		{"defined symbol", func(c []byte) []byte {
			// Symbol 1's st_shndx (offset 6 of its 24 bytes) names a section.
			binary.LittleEndian.PutUint16(c[dynsym.Offset+24+6:], 1)
			return c
		}, "is defined"},
		{"no room", func(c []byte) []byte {
			binary.LittleEndian.PutUint64(c[hashHeader+32:], 16) // sh_size
			return c
		}, "no room"},
		{"past the end", func(c []byte) []byte {
			binary.LittleEndian.PutUint64(c[hashHeader+24:], uint64(len(c))) // sh_offset
			return c
		}, "past the end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.edit(bytes.Clone(b))
			path := filepath.Join(t.TempDir(), "bin")
			if err := os.WriteFile(path, in, 0o755); err != nil {
				t.Fatal(err)
			}
			err := patchFile(path)
			var skip *skipError
			if !errors.As(err, &skip) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a skip saying %q", err, c.want)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, in) {
				t.Error("the file changed")
			}
			if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
				t.Errorf("%d files left in the folder, want 1", len(ents))
			}
		})
	}
}
