package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/diskfree"
)

// Formats are the report formats Report.Write takes.
var Formats = []string{"text", "json", "csv", "markdown"}

// Write writes the report in format, one of Formats.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		return r.WriteJSON(w)
	case "csv":
		return r.WriteCSV(w)
	case "markdown":
		return r.WriteMarkdown(w)
	case "text":
		return r.WriteText(w)
	}
	return fmt.Errorf("unknown report format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// UpdateDoc rewrites the generated section of the Markdown document doc
// (between BeginMarker and EndMarker) with rep and links to charts.
func UpdateDoc(doc string, rep *Report, charts []string) error {
	f, err := PrepareDoc(doc, rep, charts)
	if err != nil || f == nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("bench: update %s: %w", doc, err)
	}
	return nil
}

// PrepareDoc is UpdateDoc up to the commit (PrepareMarkdownSection): the
// new document, or nil when it would not change.
func PrepareDoc(doc string, rep *Report, charts []string) (*atomicfile.File, error) {
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		return nil, err
	}
	if err := chartLinks(&md, doc, charts); err != nil {
		return nil, err
	}
	return PrepareMarkdownSection(doc, md.String())
}

// CheckPython says why the interpreter at path cannot run the baseline
// (it cannot import numpy, does not answer within probeTimeout, or prints
// more than bench reads: probePython), or returns nil.
func CheckPython(ctx context.Context, path string) error {
	// The probe prints a token only a Python that imported numpy prints, so
	// a program that exits 0 whatever it is given (true, a shell script)
	// is refused too. The code does not hold the token whole, which echo,
	// printing its arguments, printed: it passed, and failed the baseline
	// after the engines ran.
	const token = "gpusim-numpy-ok"
	if why := pythonFileFault(path); why != "" {
		return fmt.Errorf("%q cannot import numpy: %s", path, why)
	}
	out, err := probePython(ctx, path, "import numpy; print('"+token[:len(token)-2]+"' + '"+token[len(token)-2:]+"')", true)
	var pe *probeTimeoutError
	if errors.As(err, &pe) {
		return err
	}
	if fe := (*outputFloodError)(nil); errors.As(err, &fe) {
		// Its last line was the reason: "cannot import numpy:
		// garbage-garbage", of a `yes` killed for its flood.
		return fmt.Errorf("%q, asked to import numpy, %w", path, fe)
	}
	if err == nil {
		if strings.Contains(string(out), token) {
			return nil
		}
		return fmt.Errorf("%q is not a Python that imports numpy: asked to print %q, it printed %q", path, token, strings.TrimSpace(string(out)))
	}
	why := err.Error()
	if l := deathCause(string(out), nil); l != "" {
		// The line that names a limit (OpenBLAS's threads under ulimit
		// -u), else the last: that read "Original error was:
		// PyCapsule_Import could not import module "datetime"".
		why = l
	}
	return fmt.Errorf("%q cannot import numpy: %s", path, why)
}

// pythonFileFault says why the interpreter path names cannot be started
// at all, before it is tried: a name with a folder in it (./py,
// /usr/bin/python3) that is no file, a folder, not a regular file or not
// executable, and a bare name (python3) that $PATH does not hold. ""
// where it can be tried, or where the file cannot be looked at (the
// probe says why then). The probe's own errors were Go's: a folder read
// "fork/exec /etc: permission denied", a bare name "exec: "py":
// executable file not found in $PATH".
func pythonFileFault(path string) string {
	if !strings.ContainsAny(path, "/"+string(filepath.Separator)) {
		if _, err := exec.LookPath(path); errors.Is(err, exec.ErrNotFound) {
			return "there is no such command in $PATH"
		}
		return ""
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "there is no such file"
	case err != nil:
		if d := atomicfile.NonFolderOnPath(path); d != "" {
			return fmt.Sprintf("%q is not a folder", d) // "fork/exec a.txt/py: not a directory"
		}
		return ""
	case fi.IsDir():
		return "it is a folder, not a Python"
	case !fi.Mode().IsRegular():
		return "it is not a regular file, not a Python"
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0:
		return "it is not executable"
	}
	return ""
}

// WorkloadList describes c's workloads for help texts: "500k x 10 and 500k x 100".
func (c Config) WorkloadList() string {
	var ws []string
	for _, w := range c.Workloads {
		ws = append(ws, w.String())
	}
	return strings.Join(ws, " and ")
}

// LanesAndSteps returns the lane and step counts of c's workloads, each once, in
// order: what --lanes and --steps stand for when not given.
func (c Config) LanesAndSteps() ([]uint64, []int) {
	var lanes []uint64
	var steps []int
	for _, w := range c.Workloads {
		if !slices.Contains(lanes, w.Lanes) {
			lanes = append(lanes, w.Lanes)
		}
		if !slices.Contains(steps, w.Steps) {
			steps = append(steps, w.Steps)
		}
	}
	return lanes, steps
}

// LoadAverage returns the three load averages of a /proc/loadavg file, or ""
// where there is none: other processes competing for the cores make every
// timing noisier, so the report says how busy the machine was.
func LoadAverage(path string) string {
	file, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer file.Close()
	// The first line is all it needs: a path that is not a loadavg file
	// (a device) is not read on.
	b, _ := io.ReadAll(io.LimitReader(file, 4096))
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], ", ")
}

// CheckDoc makes sure --update-doc can be rewritten before a benchmark that
// may take minutes: a readable regular file of at most MaxDocBytes with
// one begin and one end marker, in a folder where its replacement can be
// written.
func CheckDoc(path string) error {
	if atomicfile.WorkdirGone(path) {
		// It read "cannot read "r.md": no such file or directory".
		return fmt.Errorf("cannot read %q: %s", path, atomicfile.WorkdirGoneText)
	}
	b, err := readDoc(path)
	if err != nil {
		return docReadError(path, err)
	}
	sec := findSection(string(b))
	if sec.check() != nil {
		found := fmt.Sprintf("found %d and %d", sec.begins, sec.ends)
		if sec.begins == 1 && sec.ends == 1 {
			found = "the end line comes first"
		}
		return fmt.Errorf("%q needs one %s line followed by one %s line, outside code blocks (%s)", path, BeginMarker, EndMarker, found)
	}
	// The update replaces the file: its folder must take a new file.
	probe, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write %q: %v", path, errors.Unwrap(err))
	}
	return probe.Abort()
}

// CheckDocName is CheckDoc's refusal of path from os.Stat alone, opening
// no file: a document that is not there, a folder, not a regular file or
// larger than MaxDocBytes, with CheckDoc's errors. bench checks
// --update-doc with it before the open-file limit's check (ulimit -n),
// which opens none: under ulimit -n 12, bench --update-doc /nonexist/x.md
// was refused for the limit. Its markers, read from the file, are
// CheckDoc's, after the limit.
func CheckDocName(path string) error {
	if atomicfile.WorkdirGone(path) {
		return fmt.Errorf("cannot read %q: %s", path, atomicfile.WorkdirGoneText)
	}
	if err := statDoc(path); err != nil {
		return docReadError(path, err)
	}
	return nil
}

// docReadError is CheckDoc's error for path that readDoc or statDoc
// refused with err, with what the flag takes, as every refusal of a value
// says its valid range or form.
func docReadError(path string, err error) error {
	why := fmt.Sprint(errors.Unwrap(err)) // as %v wrote it
	if d := atomicfile.NonFolderOnPath(path); d != "" {
		why = fmt.Sprintf("%q is not a folder", d) // it read "not a directory"
	} else if d := atomicfile.DanglingLinkOnPath(path); d != "" {
		why = d // it read "no such file or directory" of a link ls lists
	}
	return fmt.Errorf("cannot read %q: %s (want a Markdown file of at most %s with one %s line followed by one %s line)", path, why, diskfree.SizeText(MaxDocBytes), BeginMarker, EndMarker)
}

// chartLinks appends Markdown images of the charts, relative to the document
// and preferring PNG, to the generated section.
func chartLinks(w io.Writer, doc string, charts []string) error {
	var shown []string
	for _, f := range charts {
		ext := filepath.Ext(f)
		if ext == ".svg" && slices.Contains(charts, strings.TrimSuffix(f, ext)+".png") {
			continue
		}
		shown = append(shown, f)
	}
	if len(shown) == 0 {
		return nil
	}
	// A document reached through a symbolic link is written where the
	// link points (atomicfile.Target), and its links are read from there:
	// both ends are then taken with their links followed (b.md -> docs/b.md
	// linked img/x.png, which docs/b.md reads as docs/img/x.png).
	linked := false
	if st, err := os.Lstat(doc); err == nil && st.Mode()&os.ModeSymlink != 0 {
		doc, linked = atomicfile.Target(doc), true
	}
	docDir, err := filepath.Abs(filepath.Dir(doc))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n### Charts\n\n")
	for _, f := range shown {
		if linked {
			if d, err := filepath.EvalSymlinks(filepath.Dir(f)); err == nil {
				f = filepath.Join(d, filepath.Base(f))
			}
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(docDir, abs)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "![%s](%s)\n\n", chartTitle(f), linkPath(rel))
	}
	return nil
}

// linkPath is the relative path rel as a Markdown link's destination:
// percent-encoded, so that a folder named with a space, a parenthesis or a
// newline (--plot "my charts") still makes a link, where it left the text
// ![...](my charts/speedup.png), which no renderer shows as an image.
func linkPath(rel string) string {
	p := (&url.URL{Path: filepath.ToSlash(rel)}).EscapedPath()
	if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ":") {
		p = "./" + p // not read as a scheme
	}
	return p
}

// chartTitle is the alt text of one of bench.Plot's files.
func chartTitle(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	switch {
	case name == "speedup":
		return "speedup against workers, with Amdahl's law fitted"
	case name == "sweep":
		return "ns per lane-step against lanes, every engine"
	case strings.HasPrefix(name, "time-"):
		return "median wall time per engine, " + strings.Replace(strings.TrimPrefix(name, "time-"), "x", " x ", 1)
	}
	return name
}
