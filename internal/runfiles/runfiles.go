// Package runfiles holds a run's output files from before the run starts
// until they are written: each is created (its temporary file, through
// internal/atomicfile) before any work, so a path that cannot be written
// fails in milliseconds, written after the run, and committed with the
// others as one group at the run's commit point (Files.Commit).
package runfiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/internal/paths"
	"github.com/gpusim/gpusim/internal/plots"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/sim"
)

// Path is an output file and the flag that names it.
type Path struct{ Flag, Path string } // the flag's name without dashes, and the file's path

// Files are a run's output files by flag.
type Files map[string]*atomicfile.File

// CreateError says why the file of a flag cannot be written.
type CreateError struct {
	Path
	Err error // atomicfile.Create's error
}

func (e *CreateError) Error() string {
	// A link is written through (atomicfile.Target): its target's folder
	// is the one checked, and the link named, where a link to a folder
	// that is not there read "cannot write "d.npy": no such file or
	// directory" of a d.npy that ls lists.
	path, via := e.Path.Path, ""
	if atomicfile.WorkdirGone(path) {
		// It read "cannot write "f.npy": no such file or directory".
		return fmt.Sprintf("cannot write %q: %s", path, atomicfile.WorkdirGoneText)
	}
	if link, err := os.Readlink(path); err == nil {
		path, via = atomicfile.Target(path), fmt.Sprintf(" (%q is a link to %q)", e.Path.Path, link)
	}
	if why := atomicfile.DanglingLinkOnPath(path); why != "" {
		// It read "directory "dl" does not exist" of a dl that ls lists.
		return fmt.Sprintf("cannot write %q: %s%s", e.Path.Path, why, via)
	}
	dir := filepath.Dir(path)
	// The folder as it is: missing, not a folder, or there (its error is
	// then the file's, which names why it cannot be reached: a path past
	// the system's length, a folder on the way the user may not search).
	// Each read "directory ... does not exist".
	st, serr := os.Stat(dir)
	if serr == nil && st.IsDir() || errors.Is(serr, syscall.ENOTDIR) {
		// There as cleaned, but not on the way as written:
		// nonexist/../x.npy read "cannot write ...: no such file or
		// directory", where nonexist/x.npy named nonexist; and the
		// file on the way of a/sub/x.npy, which read "not a
		// directory", where a/x.npy named a.
		if d, err := blockedFolder(path); d != "" {
			dir, st, serr = d, nil, err
		}
	}
	switch {
	case errors.Is(serr, fs.ErrNotExist):
		return fmt.Sprintf("directory %q does not exist%s", dir, via)
	case serr == nil && !st.IsDir(), errors.Is(serr, syscall.ENOTDIR):
		return fmt.Sprintf("%q is not a folder%s", dir, via)
	}
	err := e.Err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if st, serr := os.Stat(e.Path.Path); errors.Is(err, fs.ErrPermission) && serr == nil && st.Mode().IsRegular() {
		// The file may be the user's to write, but its replacement is
		// made in the folder (atomicfile): "permission denied" alone
		// read as the file's.
		return fmt.Sprintf("cannot write %q: its folder %q takes no new file (%v), and gpusim writes the new file there and renames it over the old one", e.Path.Path, dir, err)
	}
	return fmt.Sprintf("cannot write %q: %v", e.Path.Path, err)
}

func (e *CreateError) Unwrap() error { return e.Err }

// Create creates the temporary file of each path; on an error it removes
// those it made and returns a *CreateError.
func Create(paths []Path) (Files, error) {
	files := Files{}
	for _, p := range paths {
		a, err := atomicfile.Create(p.Path)
		if err != nil {
			files.Abort()
			return nil, &CreateError{p, err}
		}
		files[p.Flag] = a
	}
	return files, nil
}

// CheckFolders refuses, with Create's *CreateError, the first of paths
// whose folder is not there or is not a folder, or whose working folder
// was removed, with os.Stat alone: it opens no file, so that these come
// before the open-file limit's check (ulimit -n), which opens none. Where
// it passes, Create may still refuse a path (a folder that takes no new
// file, a full disk).
func CheckFolders(paths []Path) error {
	for _, p := range paths {
		if atomicfile.WorkdirGone(p.Path) {
			return &CreateError{p, fs.ErrNotExist}
		}
		target := atomicfile.Target(p.Path)
		st, err := os.Stat(filepath.Dir(target))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return &CreateError{p, err}
		case err == nil && !st.IsDir():
			return &CreateError{p, syscall.ENOTDIR}
		}
		if d, err := blockedFolder(target); d != "" {
			return &CreateError{p, err} // nonexist/../x.npy
		}
	}
	return nil
}

// blockedFolder is the first folder on path's way, as the system walks it
// (each name in turn as written, .. after the name before it), that is not
// there or is not a folder, with os.Stat's error, fs.ErrNotExist or
// syscall.ENOTDIR; "" where each is a folder. filepath.Dir cleans
// nonexist/../x.npy to ".", which is there, where the system refuses the
// path: nonexist is not.
func blockedFolder(path string) (string, error) {
	for i := 1; i < len(path); i++ {
		if !os.IsPathSeparator(path[i]) || os.IsPathSeparator(path[i-1]) {
			continue
		}
		dir := path[:i]
		st, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return dir, fs.ErrNotExist
		case errors.Is(err, syscall.ENOTDIR), err == nil && !st.IsDir():
			return dir, syscall.ENOTDIR
		}
	}
	return "", nil
}

// Abort removes every temporary file not yet committed.
func (files Files) Abort() {
	for _, a := range files {
		a.Abort()
	}
}

// Write writes the file of flag with write and closes it (flushed and
// synced, ready for Commit), or removes its temporary file; the write stops
// with the context's cause once ctx is done. A flag without a file is a
// no-op.
func (files Files) Write(ctx context.Context, flag string, write func(io.Writer) error) error {
	a := files[flag]
	if a == nil {
		return nil
	}
	err := context.Cause(ctx)
	if ctx.Err() == nil {
		err = write(ctxWriter{ctx, a})
	}
	if err == nil {
		err = a.Close()
	}
	if err != nil {
		a.Abort()
		return writeError(flag, a, err)
	}
	return nil
}

// writeError names flag and the file the user asked for, not the
// temporary one, quoted where it is not plain (quote.Printable), as the
// report and the errors before the run write it: its bytes that are not
// UTF-8 went to stderr raw.
func writeError(flag string, a *atomicfile.File, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", quote.Printable(a.Name()), pe.Err)
	}
	return fmt.Errorf("write --%s: %w", flag, err)
}

// Commit renames every file Write wrote into place as one group
// (atomicfile.CommitAll): all of them, or none when ctx is done or one of
// the renames fails, so that neither a signal nor a failed rename leaves
// some new files beside old ones. This is a run's commit point. failed
// holds each flag's error where a rename failed (then every file of the
// group is left as it was, and each says why); err is ctx's cause when
// ctx was done.
// then runs after the renames, as atomicfile.CommitAll says.
func (files Files) Commit(ctx context.Context, then func()) (failed map[string]error, err error) {
	var flags []string
	var group []*atomicfile.File
	for _, flag := range slices.Sorted(maps.Keys(files)) {
		if a := files[flag]; a.Ready() {
			flags = append(flags, flag)
			group = append(group, a)
		}
	}
	errs, err := atomicfile.CommitAll(ctx, group, then)
	if err != nil {
		return nil, err
	}
	for i, e := range errs {
		if e != nil {
			if failed == nil {
				failed = map[string]error{}
			}
			failed[flags[i]] = writeError(flags[i], group[i], e)
		}
	}
	return failed, nil
}

// CausesFirst returns the flags of Commit's failed in order, those whose
// file's rename failed before those whose file was left as it was for it
// (atomicfile.UndoneError): in the flags' order alone, --html's "left as
// it was, as f.csv could not be put in place" came before --out's error,
// which says why.
func CausesFirst(failed map[string]error) []string {
	flags := slices.Sorted(maps.Keys(failed))
	undone := func(flag string) bool {
		var u *atomicfile.UndoneError
		return errors.As(failed[flag], &u)
	}
	slices.SortStableFunc(flags, func(a, b string) int {
		switch ua, ub := undone(a), undone(b); {
		case ua == ub:
			return 0
		case ub:
			return -1
		}
		return 1
	})
	return flags
}

// Committed says whether the file of flag is in place: Commit renamed it.
// A flag without a file is not.
func (files Files) Committed(flag string) bool {
	a := files[flag]
	return a != nil && a.Committed()
}

// ctxWriter fails its writes with the context's cause once ctx is done, so
// writing a large output file stops promptly on Ctrl-C or --timeout (and
// the temporary file is then removed).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.w.Write(p)
}

// Result is what a run writes besides its report, each file by the flag
// that names it: --out, --paths-out (Paths lanes), --daily-out, --plot,
// --plot-daily; "" for a file not asked for.
type Result struct {
	Out, PathsOut, DailyOut, Plot, PlotDaily string // paths
	Paths                                    uint64 // lanes whose trajectories --paths-out writes
	// Fast says the lanes' values come from --math fast, which the
	// reference model does not compute: a CSV of them is then counted at
	// its longest, never sized exactly (csvNeed).
	Fast bool
	// Bounded are outputs the run writes after it elsewhere (--save's part
	// file), each with an upper bound of its size, which Check counts
	// against the free space of its file system with the others.
	Bounded []Bounded
}

// Bounded is an output file and an upper bound of its size in bytes.
type Bounded struct {
	Path
	Most uint64 // bytes
}

// WriteResult writes every file o asks for into fs (Write: ready for
// Commit): res's finals, the trajectories, the per-day table days and the
// charts. A file that fails is left out of the returned Result (so a
// report does not name it) and its error joined into err; the others are
// still written. values, where it is not nil, hears how far the per-lane
// files are (outfile.Format.WriteRows): each chunk of values handed to the
// file of flag ("out", "paths-out"), on the calling goroutine; Values is
// their total.
func WriteResult(ctx context.Context, fs Files, o Result, res *sim.Result, days []daily.Day, trajectories []float32, values func(flag string, n int)) (Result, error) {
	p := res.Params
	var errs []error
	try := func(flag string, name *string, write func(io.Writer) error) {
		if err := fs.Write(ctx, flag, write); err != nil {
			errs = append(errs, err)
			*name = ""
		}
	}
	counted := func(flag string) func(int) {
		if values == nil {
			return nil
		}
		return func(n int) { values(flag, n) }
	}
	if o.Out != "" {
		f, _ := outfile.FormatOf(o.Out) // checked before the run
		try("out", &o.Out, func(w io.Writer) error {
			return f.WriteRows(w, outfile.Names{"lane", "temperature"}, res.Finals, counted("out"))
		})
	}
	if o.PathsOut != "" {
		f, _ := outfile.FormatOf(o.PathsOut)
		header := outfile.Numbered{Index: "lane", Prefix: "step", Cols: p.Steps}
		try("paths-out", &o.PathsOut, func(w io.Writer) error {
			return f.WriteRows(w, header, trajectories, counted("paths-out"), int(o.Paths), p.Steps)
		})
	}
	if o.DailyOut != "" {
		try("daily-out", &o.DailyOut, func(w io.Writer) error { return daily.WriteCSV(w, days) })
	}
	if o.Plot != "" {
		try("plot", &o.Plot, func(w io.Writer) error {
			pl, err := plots.Final(p, res.Summary)
			if err != nil {
				return err
			}
			return plots.Encode(pl, w, o.Plot)
		})
	}
	if o.PlotDaily != "" {
		try("plot-daily", &o.PlotDaily, func(w io.Writer) error {
			pl, err := plots.Daily(p, res.Summary.Count, days)
			if err != nil {
				return err
			}
			return plots.Encode(pl, w, o.PlotDaily)
		})
	}
	return o, errors.Join(errs...)
}

// Values is what WriteResult's values callback hears in all for a run of
// lanes lanes of steps steps (outfile.Units): lanes for --out's finals,
// Paths x steps for --paths-out's trajectories (a row of no steps counting
// one); 0 for none.
func (o Result) Values(lanes uint64, steps int) uint64 {
	var n uint64
	if o.Out != "" {
		n += outfile.Units(lanes, 1)
	}
	if o.PathsOut != "" {
		n += outfile.Units(o.Paths, steps)
	}
	return n
}

// maxOutLanes bounds --out, whose finals are held in memory (sim.MaxKeptFinals).
const maxOutLanes = sim.MaxKeptFinals

// Check checks, before the run, each output flag of o on its own: that no
// file is a folder and the files' formats by their extensions. Fit then
// checks them against the job, and Room what the plan needs of the
// machine, so that a flag's own error comes first (run --out x.bmp
// --lanes 2^40 was refused for its lanes). Errors are *sim.ParamError
// naming the flag.
func (o Result) Check() error {
	bad := func(flag string, err error) error { return &sim.ParamError{Flag: flag, Msg: err.Error()} }
	// A folder is named as such before its name is read as a format (a
	// folder /tmp/tmp.x1Yz is not a file of extension ".x1yz").
	for _, f := range []struct{ flag, path string }{
		{"out", o.Out}, {"paths-out", o.PathsOut}, {"daily-out", o.DailyOut}, {"plot", o.Plot}, {"plot-daily", o.PlotDaily},
	} {
		if st, err := os.Stat(f.path); f.path != "" && err == nil && st.IsDir() {
			return &sim.ParamError{Flag: f.flag, Msg: fmt.Sprintf("cannot write %q: is a directory", f.path)}
		}
	}
	if o.Out != "" {
		if _, err := outfile.FormatOf(o.Out); err != nil {
			return bad("out", err)
		}
	}
	if ext := strings.ToLower(filepath.Ext(o.DailyOut)); o.DailyOut != "" && ext != ".csv" {
		if ext == "" {
			return &sim.ParamError{Flag: "daily-out", Msg: fmt.Sprintf("%q has no extension (valid: .csv)", o.DailyOut)}
		}
		return &sim.ParamError{Flag: "daily-out", Msg: fmt.Sprintf("unknown extension %q (valid: .csv)", ext)}
	}
	if o.PathsOut != "" {
		if _, err := outfile.FormatOf(o.PathsOut); err != nil {
			return bad("paths-out", err)
		}
	}
	for _, f := range []Path{{Flag: "plot", Path: o.Plot}, {Flag: "plot-daily", Path: o.PlotDaily}} {
		if f.Path != "" {
			if err := plots.CheckPath(f.Path); err != nil {
				return bad(f.Flag, err)
			}
		}
	}
	return nil
}

// Fit checks, after every flag's own check (Check), the outputs of o
// against the job p: --out's lanes within what memory may keep, and
// --paths within the job's lanes and steps (paths.Check). Errors are
// *sim.ParamError naming the flag.
func (o Result) Fit(p sim.Params) error {
	if o.Out != "" && p.Lanes > maxOutLanes {
		return &sim.ParamError{Flag: "out", Msg: fmt.Sprintf("%d lanes are too many to keep in memory (valid range 1..%d lanes with --out)", p.Lanes, uint64(maxOutLanes))}
	}
	if o.PathsOut != "" {
		return paths.Check("paths", o.Paths, p)
	}
	return nil
}

// Room checks, before the run and after every flag's own check (Check),
// that o's per-lane outputs for a run of p fit in the memory available
// (internal/sysmem) and its files in the free space of their file systems
// (checkDisk), saying how much they need: a plan's refusal came before a
// flag's own error (run --out x.csv --shard 3/2 onto a full disk was
// refused for its room). Errors are *sim.ParamError naming the flag.
func (o Result) Room(p sim.Params) error {
	if err := o.checkMemory(p); err != nil {
		return err
	}
	return o.checkDisk(p)
}

// CheckDisk is Room's count of the disk space the outputs need against
// what is free, alone: for a run whose bounds grow once its engine is open
// (the --html page names the engine and its device), checked again then,
// before the job runs. Its error is a *sim.ParamError naming the first
// output's flag.
func (o Result) CheckDisk(p sim.Params) error { return o.checkDisk(p) }

// available is the memory a run may use; tests replace it.
var available = sysmem.Available

// Available is the memory a run may use (sysmem.Available), for the
// checks outside this package.
func Available() (uint64, bool) { return available() }

// kept is what o keeps in memory for a run of p: the lanes whose finals
// --out keeps and those whose trajectories --paths keeps.
func (o Result) kept(p sim.Params) (finals, trajectories uint64) {
	if o.Out != "" {
		finals = p.Lanes
	}
	if o.PathsOut != "" {
		trajectories = o.Paths
	}
	return finals, trajectories
}

// HostBytes is the memory o's per-lane outputs take in a run of p
// (sim.HostBytes), as the memory check counts them: what other memory
// checks of the run (--daily's) count beside them, since they are held
// at once.
func (o Result) HostBytes(p sim.Params) uint64 {
	finals, trajectories := o.kept(p)
	return sim.HostBytes(finals, trajectories, p.Steps)
}

// checkMemory refuses per-lane outputs that need more memory than is
// available, naming the flag that asks for the most.
func (o Result) checkMemory(p sim.Params) error {
	finals, trajectories := o.kept(p)
	need := sim.HostBytes(finals, trajectories, p.Steps)
	if need == 0 {
		return nil // no per-lane output: nothing to read /proc for
	}
	avail, ok := available()
	if !ok || need <= avail {
		return nil
	}
	flag := "out"
	if finals == 0 {
		flag = "paths"
	}
	return &sim.ParamError{Flag: flag, Msg: fmt.Sprintf("the per-lane outputs need %s GB of memory, but %s GB are available (%s)",
		count.Sig3(float64(need)/1e9), count.Sig3(float64(avail)/1e9), fitting(finals, trajectories, p.Steps, avail-min(avail, sysmem.StartSpread)))}
}

// fitting is checkMemory's advice for per-lane outputs of finals lanes
// (--out) and trajectories lanes (--paths) over steps steps that do not fit
// in avail bytes (what the next start has at the least: the available
// memory less sysmem.StartSpread): the most --lanes that fits with --out,
// at 3 significant digits rounded down ("--lanes 2.67e8 fits"), or the
// most --paths where only trajectories are kept or --out cannot shrink
// below them; the refusal named no value that fits, where --daily's names
// the workers that do.
func fitting(finals, trajectories uint64, steps int, avail uint64) string {
	most := func(want uint64, bytes func(uint64) uint64) uint64 {
		lo, hi := uint64(0), want // the largest n <= want with bytes(n) <= avail
		for lo < hi {
			mid := hi - (hi-lo)/2
			if bytes(mid) <= avail {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return roundDown3(lo)
	}
	if finals > 0 {
		if n := most(finals, func(n uint64) uint64 { return sim.HostBytes(n, trajectories, steps) }); n >= max(trajectories, 1) {
			return fmt.Sprintf("--lanes %s fits with --out", lanesText(n))
		}
		if trajectories > 0 {
			if n := most(trajectories, func(n uint64) uint64 { return sim.HostBytes(n, n, steps) }); n >= 1 {
				return fmt.Sprintf("--lanes and --paths %s fit with --out", lanesText(n))
			}
		}
		return "no --lanes fits with --out here"
	}
	if n := most(trajectories, func(n uint64) uint64 { return sim.HostBytes(0, n, steps) }); n >= 1 {
		return fmt.Sprintf("--paths %s fits at %d steps", lanesText(n), steps)
	}
	return fmt.Sprintf("no --paths fits at %d steps: lower --steps", steps)
}

// lanesText is n (3 significant digits at most, from roundDown3) as
// --lanes and --paths take it: 9999 and less as it is, more in SI, as
// every count a message writes (count.SI, exact at n's 3 digits): 267M,
// where it wrote 2.67e8.
func lanesText(n uint64) string {
	if n < 10000 {
		return strconv.FormatUint(n, 10)
	}
	return count.SI(float64(n), 3)
}

// roundDown3 is n rounded down to 3 significant digits (267,386,880 to
// 267,000,000), a value that is easy to read and still fits; 9999 and less
// stay as they are.
func roundDown3(n uint64) uint64 {
	if n < 10000 {
		return n
	}
	unit := uint64(1)
	for n/unit >= 1000 {
		unit *= 10
	}
	return n / unit * unit
}

// freeSpace is diskfree.Free and blockOf diskfree.Block; tests replace
// them.
var freeSpace, blockOf = diskfree.Free, diskfree.Block

// checkDisk refuses the outputs a run writes after it (--out, --paths-out,
// --daily-out, and Bounded: --save, the charts, --html) whose file system
// has less free space than they take, adding up those that go to one file
// system, each in whole blocks of it (diskNeed.blocks): 1e8 lanes with --out onto a
// nearly full disk ran the whole job and then failed at the write ("no
// space left on device"), where a job of hours lost its finals. What each
// output needs is its size where that is known before the run (.npy, .f32,
// a CSV small enough to write through: sizeOf) and otherwise an upper
// bound of it (a CSV with its values at their longest, dailySize, the
// charts', the page's, the part's), never
// less than the file, so that every run let through has room for its
// files. A file an output replaces is not counted as free: it stays until
// the new one is renamed over it. Where the free space is not known
// nothing is refused. Each output is checked against the file-size limit
// too (checkFileLimit), first.
func (o Result) checkDisk(p sim.Params) error {
	order, byDev, outs := o.disks(p)
	if err := checkFileLimit(outs); err != nil {
		return err
	}
	for _, dev := range order {
		if err := byDev[dev].refuse(); err != nil {
			return err
		}
	}
	return nil
}

// disks sorts o's outputs for a run of p by the file system they go to:
// the devices in the order of their first output, each one's outputs and
// free space, and every output, as checkDisk counts them.
func (o Result) disks(p sim.Params) (order []uint64, byDev map[uint64]*diskNeed, outs []output) {
	byDev = map[uint64]*diskNeed{}
	add := func(flag, path string, size func() outputSize) {
		sz := size()
		outs = append(outs, output{flag: flag, path: path, size: sz})
		free, dev, ok := freeSpace(filepath.Dir(atomicfile.Target(path)))
		if !ok {
			return
		}
		n := byDev[dev]
		if n == nil {
			n = &diskNeed{flag: flag, free: free, block: blockOf(filepath.Dir(atomicfile.Target(path)))}
			byDev[dev] = n
			order = append(order, dev)
		}
		if k := len(n.flags); k > 0 && n.flags[k-1] == flag {
			// One flag's files (--plot's charts) name it once:
			// --plot "p/a.png", "p/a.svg" and "p/b.png".
			n.files = append(n.files, fmt.Sprintf("%q", path))
		} else {
			n.files = append(n.files, fmt.Sprintf("--%s %q", flag, path))
		}
		n.flags = append(n.flags, flag)
		n.sizes = append(n.sizes, sz)
	}
	for _, f := range []struct {
		flag, path string
		rows, cols uint64
	}{{"out", o.Out, p.Lanes, 1}, {"paths-out", o.PathsOut, o.Paths, uint64(p.Steps)}} {
		if format, err := outfile.FormatOf(f.path); f.path != "" && err == nil {
			add(f.flag, f.path, func() outputSize { return sizeOf(p, format, f.rows, f.cols, f.flag == "paths-out", o.Fast) })
		}
	}
	if o.DailyOut != "" {
		add("daily-out", o.DailyOut, func() outputSize { return dailySize(p, o.Fast) })
	}
	for _, b := range o.Bounded {
		add(b.Flag, b.Path.Path, func() outputSize {
			return outputSize{most: b.Most, need: func() (uint64, bool) { return b.Most, false }}
		})
	}
	return order, byDev, outs
}

// TakenOn is what o's outputs for a run of p take on the file system of
// the device dev (a stat's st_dev, diskfree.FreeOf's dev), as checkDisk
// counts them: in whole blocks of it, each at its largest, or, where those
// add up to more than room, each at its size or a closer bound (a CSV's
// values counted), bounded then where any is a bound; and the outputs as
// the errors name them (--out "f.f32"). It is 0, with none, where no
// output goes there. The CLI adds it to the room of the report that
// stdout's file takes on that file system: each fitted alone, and a run of
// 15,500 lanes to --out f.f32 whose text report went to the same 64 kB
// disk failed at the report's write, after the run.
func (o Result) TakenOn(p sim.Params, dev, room uint64) (n uint64, bounded bool, files []string) {
	_, byDev, _ := o.disks(p)
	d := byDev[dev]
	if d == nil {
		return 0, false, nil
	}
	n, bounded = d.take(room)
	return n, bounded, d.files
}

// JoinList joins the outputs as the errors name them, TakenOn's files
// among them: "a", "a and b", "a, b and c". Each of --plot's charts was
// named with its flag, and joined by "and": --plot "p/speedup.png" and
// --plot "p/speedup.svg" and --plot ..., once for every chart.
func JoinList(items []string) string {
	if k := len(items) - 1; k > 0 {
		return strings.Join(items[:k], ", ") + " and " + items[k]
	}
	return strings.Join(items, "")
}

// fileLimit is diskfree.FileLimit; tests replace it.
var fileLimit = diskfree.FileLimit

// output is one of checkDisk's outputs: its flag, path and size.
type output struct {
	flag, path string
	size       outputSize
}

// checkFileLimit refuses the first output larger than the process's
// file-size limit (ulimit -f), each on its own as the limit counts: its
// size where that is known, else at its largest (the outputs' sizes as
// checkDisk counts them, not in blocks). Under ulimit -f a run went to
// the end and failed at the write, "file too large", its file lost.
func checkFileLimit(outs []output) error {
	limit, limited := fileLimit()
	if !limited {
		return nil
	}
	for _, o := range outs {
		if o.size.most <= limit {
			continue
		}
		need, exact := o.size.need()
		if need <= limit {
			continue
		}
		needText, limitText := diskfree.SizesText(need, limit)
		verb := "needs " + needText
		if !exact {
			verb = "may need up to " + needText + " (counted at its largest, every value, pixel or point at its longest, as the run has not made it)"
		}
		return &sim.ParamError{Flag: o.flag, Msg: fmt.Sprintf("%q %s, over the file-size limit of %s (ulimit -f, RLIMIT_FSIZE): raise it (ulimit -f unlimited)", o.path, verb, limitText)}
	}
	return nil
}

// diskNeed is the outputs going to one file system and its free space.
type diskNeed struct {
	flag  string   // the first output's flag, which the error names
	files []string // the outputs going there, as the message names them (JoinList)
	flags []string // each output's flag
	sizes []outputSize
	free  uint64
	block uint64 // the unit of the file system's allocation: each file takes whole ones
}

// refuse is the *sim.ParamError of outputs that need more than the free
// space, nil where they fit: it names the files, what they need (exactly,
// or up to a bound) and what is free. A refusal counts what they need
// even where their least is more than is free: it said the least, "at
// least", and a disk sized to it (791 kB for a CSV of 1e5 lanes) was
// refused again for 1.51 MB; it said so of a .npy's exact size too.
func (n *diskNeed) refuse() error {
	need, bounded := n.take(n.free)
	if need <= n.free {
		return nil
	}
	needText, freeText := diskfree.SizesText(need, n.free)
	verb, size := "needs", needText+" of disk space"
	if len(n.files) > 1 {
		verb = "need"
	}
	if bounded {
		verb = "may " + strings.TrimSuffix(verb, "s") + " up to"
		size += " (each counted at its largest, every value, pixel or point at its longest, as the run has not made them)"
	}
	return &sim.ParamError{Flag: n.flag, Msg: fmt.Sprintf("%s %s %s, but its file system has %s free",
		strings.TrimPrefix(JoinList(n.files), "--"+n.flag+" "), verb, size, freeText)}
}

// take is what the outputs take, in whole blocks: each at its largest
// where those fit in room, else each at its size or a closer bound than
// its largest, bounded where any is a bound.
func (n *diskNeed) take(room uint64) (need uint64, bounded bool) {
	for _, s := range n.sizes {
		need = count.SatAdd(need, n.blocks(s.most))
	}
	if need <= room {
		return need, false
	}
	// Only a CSV's size is not known from its shape: count it (csvNeed:
	// at most about 0.4 s of one core).
	need = 0
	for _, s := range n.sizes {
		size, exact := s.need()
		need, bounded = count.SatAdd(need, n.blocks(size)), bounded || !exact
	}
	return need, bounded
}

// blocks is size rounded up to whole blocks of the file system, what a
// file of size bytes takes there: two files of a byte each took 2 bytes
// of a disk with one 4 KiB page free, and the second's write failed after
// the run.
func (n *diskNeed) blocks(size uint64) uint64 {
	b := max(n.block, 1)
	if size%b == 0 {
		return size
	}
	return count.SatAdd(size, b-size%b)
}

// outputSize is what an output will take on disk: most bytes, and need,
// which computes what a run must find free for it: its size (exact) or an
// upper bound of it, most where the size is known from the output's shape.
type outputSize struct {
	most uint64
	need func() (n uint64, exact bool)
}

// sizeOf is the size of a per-lane output of rows x cols values in format,
// the finals of p (--out) or its trajectories (paths): 4 bytes a value in
// .f32, and the header besides in .npy (outfile.WriteNPY); a .csv's at most
// csvMost, csvNeed where it must be counted (csvMost, every
// value at its longest, for values of --math fast).
func sizeOf(p sim.Params, f outfile.Format, rows, cols uint64, paths, fast bool) outputSize {
	n := count.SatMul(count.SatMul(rows, cols), 4)
	switch f {
	case outfile.CSV:
		most := csvMost(rows, cols, paths, float32Most(p, fast))
		need := func() (uint64, bool) { return csvNeed(p, rows, cols, paths) }
		if fast {
			need = func() (uint64, bool) { return most, false }
		}
		return outputSize{most: most, need: need}
	case outfile.NPY:
		shape := []int{int(min(rows, math.MaxInt))}
		if paths {
			shape = append(shape, int(min(cols, math.MaxInt)))
		}
		if h, err := outfile.NPYHeader(shape...); err == nil {
			n = count.SatAdd(n, uint64(len(h)))
		}
	}
	return outputSize{most: n, need: func() (uint64, bool) { return n, true }}
}

// digitsBelow is the number of decimal digits in 0, 1, ..., n-1.
func digitsBelow(n uint64) uint64 {
	var sum uint64
	lo := uint64(0) // the first number of d digits (0 for d = 1)
	for d, hi := uint64(1), uint64(10); lo < n; d++ {
		top := min(n, hi)
		sum = count.SatAdd(sum, count.SatMul(top-lo, d))
		lo = hi
		if hi > ^uint64(0)/10 {
			hi = ^uint64(0)
		} else {
			hi *= 10
		}
	}
	return sum
}
