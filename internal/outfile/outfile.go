package outfile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Format is an output file format, chosen by the file's extension.
type Format string

// The formats FormatOf knows.
const (
	NPY Format = ".npy" // NumPy NPY v1.0, '<f4', C order
	CSV Format = ".csv" // a header row, then the row index and the row's values
	F32 Format = ".f32" // raw little-endian float32, C order, no header
)

// Formats lists the supported extensions in the order messages give them.
var Formats = []Format{NPY, CSV, F32}

// FormatOf returns the format of path from its extension (case-insensitive).
func FormatOf(path string) (Format, error) {
	ext := Format(strings.ToLower(filepath.Ext(path)))
	for _, f := range Formats {
		if ext == f {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	if ext == "" {
		return "", fmt.Errorf("%q has no extension (valid: %s)", path, strings.Join(names, ", "))
	}
	return "", fmt.Errorf("unknown extension %q (valid: %s)", ext, strings.Join(names, ", "))
}

// Header names a CSV file's fields: Len of them, the row index's (field 0)
// and then one per value column, each appended to b by AppendName as the
// header row is written.
type Header interface {
	Len() int
	AppendName(b []byte, i int) []byte
}

// Names is a Header of the names given.
type Names []string

// Len is the number of names.
func (n Names) Len() int { return len(n) }

// AppendName appends the i-th name to b.
func (n Names) AppendName(b []byte, i int) []byte { return append(b, n[i]...) }

// Numbered is the Header Index, Prefix1, ..., PrefixCols (lane, step1,
// step2, ...): --paths-out's, whose 2^28 step names, built as strings
// before the file was written, took 11 GB that no check had counted.
type Numbered struct {
	Index, Prefix string
	Cols          int
}

// Len is Cols+1.
func (n Numbered) Len() int { return n.Cols + 1 }

// AppendName appends Index for 0, else Prefix followed by i, to b.
func (n Numbered) AppendName(b []byte, i int) []byte {
	if i == 0 {
		return append(b, n.Index...)
	}
	return strconv.AppendInt(append(b, n.Prefix...), int64(i), 10)
}

// Write writes data with the given shape in format f. CSV rows are the
// leading dimension: each row is its index followed by the row's values,
// under header (one name for the index, then one per column; unused by
// the other formats).
func (f Format) Write(w io.Writer, header Header, data []float32, shape ...int) error {
	return f.WriteRows(w, header, data, nil, shape...)
}

// WriteRows is Write that says how far it is: values, where it is not
// nil, gets the number of values handed to w since its last call, a row
// (of the leading dimension) of none counting one, every rowValues values
// or so (a CSV's fields into its 64 KiB buffer, mid-row included) and the
// rest once all are written, on the calling goroutine; a write that
// succeeds reports Units(shape[0], the rest's product) in all, one that fails fewer. It counted
// whole rows, so that a row of 2^28 values (--paths-out's one lane) went
// from 0 to done at once.
func (f Format) WriteRows(w io.Writer, header Header, data []float32, values func(n int), shape ...int) error {
	shape, err := shapeOf(len(data), shape)
	if err != nil {
		return err
	}
	c := &rowCounter{report: values, cols: 1}
	for _, d := range shape[1:] {
		c.cols *= d
	}
	switch f {
	case NPY:
		err = writeNPY(w, data, shape, c)
	case CSV:
		err = writeCSV(w, header, data, shape, c)
	case F32:
		err = writeF32(w, data, c)
	default:
		return fmt.Errorf("unknown format %q", string(f))
	}
	if err == nil {
		c.end(Units(uint64(shape[0]), c.cols))
	}
	return err
}

// Units is what WriteRows reports in all for rows rows of cols values
// (the product of the dimensions after the first): rows x cols, a row of
// no values counting one.
func Units(rows uint64, cols int) uint64 { return rows * uint64(max(cols, 1)) }

// rowValues is about how many values WriteRows writes between two reports
// of its rows: 64 KiB of a .f32's, some 150 KiB of a CSV's.
const rowValues = 1 << 14

// rowCounter counts the values a writer hands on, for WriteRows' report.
type rowCounter struct {
	report func(n int) // nil: nothing to count
	cols   int         // values a row
	done   uint64      // units reported
}

// add reports n more values handed on.
func (c *rowCounter) add(n int) {
	if c.report != nil && n > 0 {
		c.report(n)
		c.done += uint64(n)
	}
}

// end reports the units of total (Units) not reported yet: rows of no
// values, and what the writer did not count.
func (c *rowCounter) end(total uint64) {
	if c.report != nil && total > c.done {
		c.report(int(total - c.done))
		c.done = total
	}
}

// shapeOf checks shape against len(data); no shape means one dimension.
func shapeOf(n int, shape []int) ([]int, error) {
	if len(shape) == 0 {
		return []int{n}, nil
	}
	prod := 1
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in shape %v", shape)
		}
		prod *= d
	}
	if prod != n {
		return nil, fmt.Errorf("shape %v holds %d values, data has %d", shape, prod, n)
	}
	return shape, nil
}

// npyAlign is the header alignment numpy itself writes (format.py's
// ARRAY_ALIGN); the NPY v1.0 spec only asks for 16.
const npyAlign = 64

// NPYHeader returns the NPY v1.0 preamble of a C-order '<f4' array
// (numpy.lib.format: magic "\x93NUMPY", version 1.0, uint16 little-endian
// header length, a Python dict literal padded with spaces and ended by '\n').
func NPYHeader(shape ...int) ([]byte, error) {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", tuple)
	const pre = 6 + 2 + 2 // magic, version, header length
	total := pre + len(dict) + 1
	total += (npyAlign - total%npyAlign) % npyAlign
	hlen := total - pre
	if hlen > math.MaxUint16 {
		return nil, fmt.Errorf("npy header of %d bytes is too long for format 1.0", hlen)
	}
	b := make([]byte, 0, total)
	b = append(b, "\x93NUMPY\x01\x00"...)
	b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	b = append(b, dict...)
	for len(b) < total-1 {
		b = append(b, ' ')
	}
	return append(b, '\n'), nil
}

// WriteNPY writes data as a NumPy .npy array of dtype '<f4' with the given
// shape (one dimension of len(data) when none is given).
func WriteNPY(w io.Writer, data []float32, shape ...int) error {
	return NPY.Write(w, nil, data, shape...)
}

// writeNPY is WriteNPY of a checked shape, counting the values in c.
func writeNPY(w io.Writer, data []float32, shape []int, c *rowCounter) error {
	h, err := NPYHeader(shape...)
	if err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	return writeF32(w, data, c)
}

// WriteF32 writes data as raw little-endian float32.
func WriteF32(w io.Writer, data []float32) error {
	return writeF32(w, data, &rowCounter{})
}

// writeF32 is WriteF32, counting the values in c.
func writeF32(w io.Writer, data []float32, c *rowCounter) error {
	const chunk = rowValues
	buf := make([]byte, 0, 4*chunk)
	for len(data) > 0 {
		n := min(chunk, len(data))
		buf = buf[:0]
		for _, x := range data[:n] {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		c.add(n)
		data = data[n:]
	}
	return nil
}

// WriteCSV writes a header row, then one row per index of the leading
// dimension: the index, then that row's values. Values are the shortest
// decimal that reads back as the same float32 through float32 and float64
// parsers alike (AppendFloat32). What it holds besides data is a buffer
// of 64 KiB, whatever the rows' length: a row of 2^28 values was built
// whole (4 GB) before it was written.
func WriteCSV(w io.Writer, header Header, data []float32, shape ...int) error {
	return CSV.Write(w, header, data, shape...)
}

// writeCSV is WriteCSV of a checked shape, counting the values in c.
func writeCSV(w io.Writer, header Header, data []float32, shape []int, c *rowCounter) error {
	cols := c.cols
	if header == nil || header.Len() != cols+1 {
		n := 0
		if header != nil {
			n = header.Len()
		}
		return fmt.Errorf("csv header has %d names, rows have %d fields", n, cols+1)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := range header.Len() {
		b := bw.AvailableBuffer()
		if i > 0 {
			b = append(b, ',')
		}
		bw.Write(header.AppendName(b, i))
	}
	bw.WriteByte('\n')
	pending := 0 // values written since the last count
	for r := range shape[0] {
		// A field at a time, appended to the buffer's free space
		// (AvailableBuffer: no copy where it fits), so that a row of any
		// length goes through the buffer alone.
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(r), 10))
		for _, x := range data[r*cols : (r+1)*cols] {
			b := append(bw.AvailableBuffer(), ',')
			bw.Write(AppendFloat32(b, x))
			// Counted mid-row too: a row can be 2^28 values.
			if pending++; pending >= rowValues {
				c.add(pending)
				pending = 0
			}
		}
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}
