package shard_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/shard"
)

// TestReadPartBytesNoGrowth: a part is read into a buffer of its size,
// not grown at the read of its end: a buffer of the size and one byte
// found less than bytes.MinRead free there and grew to twice the file,
// 40 MB held for a part of 20 MB while it was decoded.
func TestReadPartBytesNoGrowth(t *testing.T) {
	for _, size := range []int{600, 64 << 10, 1 << 20, 3<<20 + 5} {
		path := filepath.Join(t.TempDir(), "p.json")
		data := append([]byte("{"+strings.Repeat(" ", size-2)), '}')
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := shard.ReadPartBytes(path)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read %d bytes, not the file", size, len(got))
		}
		if c := cap(got); c > size+bytes.MinRead {
			t.Errorf("%d bytes: read into a buffer of %d, want at most %d", size, c, size+bytes.MinRead)
		}
	}
}

// TestCompactChecksum: the checksum of a payload's compact text, summed
// as it is made, is that of json.Compact's text: whitespace between
// values left out, and inside strings kept, escapes and all.
func TestCompactChecksum(t *testing.T) {
	for _, s := range []string{
		`{}`,
		` { "a" : [ 1 ,	2 ,
3 ] , "b" : "x y\tz" } `,
		`{"device": "avx512 x16, 1 goroutine", "q": "a \" b \\", "e": "\\", "n": [ ]}`,
		`["\u0020 ", "\\\"", " \" "]`,
		"{\r\n  \"k\": \"v\"\r\n}",
		strings.Repeat(`[ 0, 1, "a b", `, 10000) + `0` + strings.Repeat(` ]`, 10000),
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(s)); err != nil {
			t.Fatalf("%.40q: %v", s, err)
		}
		if got, w := shard.CompactChecksum([]byte(s)), shard.Checksum(want.Bytes()); got != w {
			t.Errorf("%.40q: %s, want %s", s, got, w)
		}
	}
}
