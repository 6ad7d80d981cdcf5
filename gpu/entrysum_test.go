package gpu

import (
	"bytes"
	"os"
	"testing"
)

// TestEntrySum: the entries' checksum changes with every one-bit change of
// the data and with its length, and a stored entry loads back with it.
func TestEntrySum(t *testing.T) {
	data := bytes.Repeat([]byte("a program binary "), 64)
	want := entrySum(data)
	if len(want) != entrySumLen {
		t.Fatalf("entrySum gives %q, %d characters, want %d", want, len(want), entrySumLen)
	}
	for i := range len(data) * 8 {
		d := bytes.Clone(data)
		d[i/8] ^= 1 << (i % 8)
		if entrySum(d) == want {
			t.Fatalf("bit %d flipped: the same checksum %s", i, want)
		}
	}
	if entrySum(data[:len(data)-1]) == want || entrySum(append(bytes.Clone(data), 0)) == want {
		t.Error("a truncated or extended entry has the same checksum")
	}

	forgetCacheNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	const key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if !cacheStore("programs", key, data) {
		t.Fatal("not stored")
	}
	got, sum := cacheLoadSum("programs", key)
	if !bytes.Equal(got, data) || sum != want {
		t.Fatalf("loaded %d bytes with checksum %q, want %d bytes with %q", len(got), sum, len(data), want)
	}
	// A byte changed on disk: refused, with a note.
	path := cachePath("programs", key)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-5] ^= 0x10
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := cacheLoadSum("programs", key); got != nil {
		t.Error("a damaged entry was loaded")
	}
	if len(CacheNotes()) == 0 {
		t.Error("no note of the damaged entry")
	}
}
