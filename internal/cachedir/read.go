package cachedir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxEntry bounds what ReadFile reads: a compiled program is megabytes at
// most. A file of kilobytes (auto's calibration) takes a bound of its own
// (ReadFileMax, Update).
const MaxEntry = 256 << 20

// errNotRegular is ReadFile's error for an entry that is not a regular file.
var errNotRegular = errors.New("not a regular file")

// ReadFile reads the cache entry at path, refusing one that is not a
// regular file or holds more than MaxEntry bytes. Opened without waiting
// (openFlags), so a named pipe in its place fails at once: os.ReadFile
// waited for a writer that never came, and read a link to /dev/zero until
// memory ran out (every OpenCL run then took all of the machine's memory
// and was killed by the OOM killer), however the entry got there.
func ReadFile(path string) ([]byte, error) { return ReadFileMax(path, MaxEntry) }

// ReadFileMax is ReadFile for an entry of at most limit bytes.
func ReadFileMax(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errNotRegular}
	}
	if st.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%d bytes, more than this cache entry holds (%d)", st.Size(), limit)}
	}
	b, err := readSized(io.LimitReader(f, limit+1), min(st.Size(), limit)+512)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("more than this cache entry holds (%d bytes)", limit)}
	}
	return b, nil
}

// removeIrregular removes the entry at path when it is not a regular file
// (a named pipe, a device, a link to one), so that WriteFile can put one in
// its place: atomicfile refuses to replace it, and the cache stayed
// unwritable.
func removeIrregular(path string) {
	st, err := os.Stat(path)
	if err != nil || st.Mode().IsRegular() || st.IsDir() {
		return
	}
	os.Remove(path) // the link itself, or the pipe
}

// readSized reads r to its end into a buffer of size bytes, grown only
// where r holds more (a file that grew since its Stat): os.ReadFile's way.
// io.ReadAll grows its buffer from 512 bytes by doubling, copying a
// program binary of 535 kB over a dozen times; a warm OpenCL start reads
// one (BenchmarkReadFile, 300 reads each: 0.38 ms a read with io.ReadAll,
// 0.10 ms sized, on the forty-first session's 2-core Xeon VM).
func readSized(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
