package outfile

import (
	"io"
	"testing"
)

// BenchmarkWriteCSV writes the CSV of 2^20 finals (--out's shape) to
// io.Discard with Write, and with WriteRows counting its rows as a run's
// file bar does (cmd/gpusim's startWriting): the count must not slow the
// writer.
func BenchmarkWriteCSV(b *testing.B) {
	data := make([]float32, 1<<20)
	for i := range data {
		data[i] = 72 + float32(i%977)/7
	}
	header := Names{"lane", "temperature"}
	b.Run("Write", func(b *testing.B) {
		for b.Loop() {
			if err := CSV.Write(io.Discard, header, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("WriteRows", func(b *testing.B) {
		var rows int
		for b.Loop() {
			if err := CSV.WriteRows(io.Discard, header, data, func(n int) { rows += n }); err != nil {
				b.Fatal(err)
			}
		}
		if rows%len(data) != 0 {
			b.Fatalf("%d rows counted", rows)
		}
	})
}
