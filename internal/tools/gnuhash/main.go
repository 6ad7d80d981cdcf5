// Command gnuhash gives a Go executable built without cgo a GNU symbol hash
// table, which spares the dynamic loader a few milliseconds when gpusim
// loads an OpenCL driver.
//
//	go run ./internal/tools/gnuhash FILE
//
// Why: Go's internal linker writes only a SysV hash table (DT_HASH) for the
// executable's dynamic symbols. The executable comes first in the lookup
// scope of every library loaded later, so glibc's loader looks each of a
// driver's symbol references up in it first, and for an object without a
// GNU hash it must compute the SysV hash of the name (glibc elf/dl-lookup.c,
// do_lookup_x and _dl_elf_hash). pocl's libLLVM alone makes about 20,000
// such lookups of long C++ names; they took 2 to 4 ms of CPU per process here
// (perf, 20 runs each, `gpusim run --engine opencl`). A GNU hash table
// (DT_GNU_HASH) starts with a Bloom filter that rejects a name in a few
// instructions.
//
// A Go executable built without cgo defines no dynamic symbols: its .dynsym
// holds only the C functions it imports (purego's fakecgo: dlopen, malloc,
// pthread_create, ...). So the GNU table this command writes holds no
// symbol: one bucket, symoffset equal to the symbol count, and a Bloom
// filter of one zero word (the format: Ulrich Drepper's "How To Write
// Shared Libraries" and binutils bfd/elflink.c). It is 28 bytes, written
// over the SysV table (120 bytes for gpusim), whose DT_HASH entry becomes
// DT_GNU_HASH and whose section header becomes SHT_GNU_HASH; nothing moves.
//
// The file is rewritten atomically (a temporary file renamed, same mode).
// A file this does not apply to, or that the command does not know how to
// rewrite exactly, is left as it is with a note on stderr and exit status 0,
// so that `make build` works wherever Go does: not a 64-bit little-endian
// ELF executable (a Mach-O or PE file), one with a GNU hash table already
// (an external link), one that defines a dynamic symbol (which a GNU table
// would have to hash), or a SysV table with no room. Only a file that cannot
// be read or written is an error (exit 1). The tests check that gpusim's
// own build is rewritten.
package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gnuhash FILE")
		os.Exit(2)
	}
	if err := patchFile(os.Args[1]); err != nil {
		var skip *skipError
		if errors.As(err, &skip) {
			fmt.Fprintf(os.Stderr, "gnuhash: %s left as it is: %v\n", os.Args[1], skip.reason)
			return
		}
		fmt.Fprintf(os.Stderr, "gnuhash: %v\n", err)
		os.Exit(1)
	}
}

// skipError is patch's reason to leave a file as it is.
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

func skipf(format string, a ...any) error { return &skipError{fmt.Sprintf(format, a...)} }

// patchFile rewrites path with patch. A *skipError says why it did not.
func patchFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := patch(b)
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".gnuhash-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(out)
	err = errors.Join(err, f.Chmod(fi.Mode().Perm()), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// gnuHashSize is the table patch writes: four header words, one Bloom word
// (8 bytes in ELF64) and one bucket.
const gnuHashSize = 4*4 + 8 + 4

// patch returns a copy of the executable b with its SysV hash table
// replaced by an empty GNU one (see the package doc), or a *skipError.
func patch(b []byte) (out []byte, err error) {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, skipf("not an ELF file (%v)", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return nil, skipf("%v %v: only 64-bit little-endian ELF is handled", f.Class, f.Data)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, skipf("%v: not an executable", f.Type)
	}
	if f.Section(".gnu.hash") != nil || f.SectionByType(elf.SHT_GNU_HASH) != nil {
		return nil, skipf("it has a GNU hash table already")
	}
	hash, dynamic, dynsym := f.SectionByType(elf.SHT_HASH), f.SectionByType(elf.SHT_DYNAMIC), f.SectionByType(elf.SHT_DYNSYM)
	if hash == nil || dynamic == nil || dynsym == nil {
		return nil, skipf("no SysV hash table, dynamic section or dynamic symbol table: not dynamically linked")
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil, skipf("dynamic symbols: %v", err)
	}
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF {
			return nil, skipf("dynamic symbol %q is defined: a GNU table would have to hash it", s.Name)
		}
	}
	if !within(hash, b) || !within(dynamic, b) {
		return nil, skipf("a section lies past the end of the file")
	}
	if hash.Size < gnuHashSize || hash.Addr%8 != 0 {
		return nil, skipf("the SysV table (%d bytes at %#x) has no room for the GNU table", hash.Size, hash.Addr)
	}
	out = bytes.Clone(b)
	// Rewrite DT_HASH: exactly one entry, pointing at the table.
	n := 0
	for off := dynamic.Offset; off+16 <= dynamic.Offset+dynamic.Size; off += 16 {
		tag := elf.DynTag(binary.LittleEndian.Uint64(out[off:]))
		if tag == elf.DT_NULL {
			break
		}
		if tag == elf.DT_GNU_HASH {
			return nil, skipf("DT_GNU_HASH without a GNU hash section")
		}
		if tag == elf.DT_HASH {
			if binary.LittleEndian.Uint64(out[off+8:]) != hash.Addr {
				return nil, skipf("DT_HASH does not point at the SysV hash section")
			}
			binary.LittleEndian.PutUint64(out[off:], uint64(elf.DT_GNU_HASH))
			n++
		}
	}
	if n != 1 {
		return nil, skipf("%d DT_HASH entries, want 1", n)
	}
	// The table: nbuckets 1, symoffset len(syms)+1 (every symbol, the null
	// one included, lies below it, so none is hashed), one Bloom word, Bloom
	// shift 6; Bloom word 0 (no name passes); bucket 0 (empty).
	t := out[hash.Offset : hash.Offset+hash.Size]
	clear(t)
	binary.LittleEndian.PutUint32(t[0:], 1)
	binary.LittleEndian.PutUint32(t[4:], uint32(len(syms)+1))
	binary.LittleEndian.PutUint32(t[8:], 1)
	binary.LittleEndian.PutUint32(t[12:], 6)
	// Section header: sh_type (offset 4) SHT_GNU_HASH, sh_entsize (offset
	// 56) 0, as binutils writes it.
	sh, err := sectionHeader(f, b, hash)
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(out[sh+4:], uint32(elf.SHT_GNU_HASH))
	binary.LittleEndian.PutUint64(out[sh+56:], 0)
	return out, nil
}

// within reports whether s's contents lie inside the file b.
func within(s *elf.Section, b []byte) bool {
	n := uint64(len(b))
	return s.Offset <= n && s.Size <= n-s.Offset
}

// sectionHeader returns the file offset of s's ELF64 section header.
func sectionHeader(f *elf.File, b []byte, s *elf.Section) (int, error) {
	shoff := binary.LittleEndian.Uint64(b[0x28:])
	shentsize := int(binary.LittleEndian.Uint16(b[0x3a:]))
	for i, t := range f.Sections {
		if t == s {
			off := int(shoff) + i*shentsize
			if shentsize != 64 || off+64 > len(b) {
				return 0, skipf("malformed section header table")
			}
			return off, nil
		}
	}
	return 0, skipf("section not found")
}
