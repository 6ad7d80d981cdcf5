package shard_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
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

// TestParsePartAllocs: decoding a part of many --daily steps allocates
// at most partAllocsPer bytes per byte of the file. Its payload went
// through a json.Decoder (for its check of unknown fields), which copied
// it into a buffer it grew by doubling, 64 MiB allocated for the payload
// of a part of 20 MB, and its per-step layouts were checked against
// histograms allocated whole (sim.NewDaily), 41 MB more: its ReadPart
// allocated 194 MB, 131 without the Decoder, 90 without either (10,000
// steps, runtime.MemStats.TotalAlloc). Here, at 2,000 steps (a part of 4
// MB), ParsePart allocated 8.2 bytes per byte of the part, 6.0 without
// the Decoder, 3.9 without either.
func TestParsePartAllocs(t *testing.T) {
	const (
		steps         = 2000
		partAllocsPer = 5
	)
	p := smallJob(100)
	p.Steps = steps
	data, err := shard.NewPart(run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	part, err := shard.ParsePart(data)
	runtime.ReadMemStats(&after)
	if err != nil || len(part.Daily) != steps {
		t.Fatalf("ParsePart: %v", err)
	}
	if per := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(data)); per > partAllocsPer {
		t.Errorf("ParsePart of a part of %d bytes allocated %.1f bytes per byte of it, want at most %d", len(data), per, partAllocsPer)
	} else {
		t.Logf("ParsePart of a part of %d bytes allocated %.1f bytes per byte of it", len(data), per)
	}
}
