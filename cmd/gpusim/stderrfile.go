package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// stderrFileError is an error found where stderr goes to a file that the
// command reads or writes (a part, a --files-from list, a --save or --out
// file): runContext writes it to stdout instead (messageStream), so that
// the refusal is not written into that file too. files are the command's
// files, of which stdout may be one as well, where nothing is written.
type stderrFileError struct {
	err   error
	files []string
}

func (e *stderrFileError) Error() string { return e.err.Error() }

func (e *stderrFileError) Unwrap() error { return e.err }

// stderrInFile is err, the refusal of a file of files that stderr goes to,
// as a *stderrFileError.
func stderrInFile(files []string, err error) error {
	return &stderrFileError{err: err, files: files}
}

// messageStream is where runContext writes err's message: stderr, unless
// stderr goes to a file the command names, on its command line (args: a
// name, or a flag's value, --save=p.json) or in err (a *stderrFileError:
// the parts a --files-from list names). A refusal of merge p0.json p1.json
// 2>> p1.json, or of run --save p.json 2>> p.json where p.json is a part
// an earlier run saved, was appended to the part, which the next merge
// refused as damaged; any other error of such a command line (a bad
// --lanes beside it) was too. It goes to stdout then, which carries no
// report in a refusal, or nowhere (io.Discard) where stdout goes to one of
// those files too (&>> p1.json): the exit status says it. But where
// stderr's file holds nothing and is written from its start (&> out.csv,
// > out.csv 2>&1: the shell emptied it before gpusim started), there is
// nothing in it to keep, and the message goes there, as any program's
// would: run --out out.csv &> out.csv exited 2 without a word.
func messageStream(args []string, err error, stdout, stderr io.Writer) io.Writer {
	var files []string
	named := fileArgs(args)
	if se := (*stderrFileError)(nil); errors.As(err, &se) {
		files = se.files
	} else if !namesStdio(named, nil, stderr) {
		return stderr
	}
	if namesStdio(named, stdout, nil) || namesStdio(files, stdout, nil) {
		if f := streamFile(stderr); f != nil && emptiedFile(f) {
			return stderr
		}
		return io.Discard
	}
	return stdout
}

// streamFile is w, stdout or stderr, as the *os.File it writes to, or nil.
func streamFile(w io.Writer) *os.File {
	if t, ok := w.(*trackedWriter); ok {
		w = t.w
	}
	f, _ := w.(*os.File)
	return f
}

// stopStream is where a forced exit (interrupt.Exit after a stop's grace,
// interrupt.Now on a second stop) writes its message: where runContext
// writes a stop's (messageStream), chosen as it writes. It went to stderr
// whatever file that was: a merge stopped while its work had not returned
// appended "gpusim: terminated" to the part that stderr went to, which the
// next merge refused as damaged.
type stopStream struct {
	args           []string
	stdout, stderr io.Writer
}

func (s *stopStream) Write(p []byte) (int, error) {
	return messageStream(s.args, nil, s.stdout, s.stderr).Write(p)
}

// fileArgs are the words of args, a command line, that may name a file
// the command reads or writes: the values of the flags that take a file
// (TakesFile: --save, --out, --files-from, ...) and the words that are no
// flag's value (merge's parts). The value of another flag names no file,
// whatever file has its name: run --seed 42 2> 42 held Run's early notes
// back to the end of the run, and said its refusals on stdout, as if
// stderr were one of the run's files. A command line without a known
// command gives its words that are not flags.
func fileArgs(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	cmds := commands()
	i := slices.IndexFunc(cmds, func(c *cli.Command) bool { return c.HasName(args[0]) })
	if i < 0 {
		return slices.DeleteFunc(slices.Clone(args), func(a string) bool { return strings.HasPrefix(a, "-") })
	}
	flags := map[string]cli.Flag{}
	for _, f := range cmds[i].Flags {
		for _, n := range f.Names() {
			flags[n] = f
		}
	}
	var files []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(files, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			files = append(files, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f, ok := flags[name]
		if !ok {
			continue // unknown: refused, and the word after it is a word
		}
		if _, isBool := f.(*cli.BoolFlag); isBool {
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			value = args[i]
		}
		if takesFile(f) {
			files = append(files, value)
		}
	}
	return files
}

// takesFile says whether f's value is a file (urfave/cli's TakesFile).
func takesFile(f cli.Flag) bool {
	switch f := f.(type) {
	case *cli.StringFlag:
		return f.TakesFile
	case *cli.GenericFlag:
		return f.TakesFile
	case *cli.PathFlag:
		return f.TakesFile
	}
	return false
}

// namesStdio says whether one of args, a file's name or a flag's value
// (--save=p.json), is the existing file that stdout or stderr goes to. It
// stats args only where the stream is a regular file or a FIFO, each once.
func namesStdio(args []string, stdout, stderr io.Writer) bool {
	var streams []fs.FileInfo
	for _, w := range []io.Writer{stdout, stderr} {
		if fi := streamInfo(w); fi != nil {
			streams = append(streams, fi)
		}
	}
	if len(streams) == 0 {
		return false
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			if _, v, ok := strings.Cut(a, "="); ok {
				a = v
			}
		}
		fi, err := os.Stat(a)
		if a == "" || err != nil {
			continue
		}
		for _, s := range streams {
			if os.SameFile(fi, s) {
				return true
			}
		}
	}
	return false
}

// streamInfo is the os.FileInfo of w, stdout or stderr, where it is a
// regular file or a FIFO (a redirection to one: 2> fifo), else nil. A
// FIFO's name is stat'ed without opening it, which would block.
func streamInfo(w io.Writer) fs.FileInfo {
	f := streamFile(w)
	if f == nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() && fi.Mode().Type() != fs.ModeNamedPipe {
		return nil
	}
	return fi
}

// earlyStderr is where Run writes its notes and refusals before the
// command line is read (stdout closed at the start, the limits on address
// space, stack, descriptors, threads and CPU time): stderr, unless stderr
// goes to a file the arguments name (namesStdio, asked at the first
// write) or may name (givesList), where they are held, and written where
// runContext writes the command's error (messageStream), or to stderr
// after a command that succeeds. The note on a stdout closed at the start was appended to the
// part of merge p0.json p1.json 2>> p1.json, whose refusal left it as it
// was.
type earlyStderr struct {
	args           []string
	stdout, stderr io.Writer
	decided, hold  bool
	held           bytes.Buffer
}

func (e *earlyStderr) Write(p []byte) (int, error) {
	if !e.decided {
		e.decided = true
		e.hold = namesStdio(fileArgs(e.args), nil, e.stderr) || givesList(e.args) && streamInfo(e.stderr) != nil
	}
	if e.hold {
		return e.held.Write(p)
	}
	return e.stderr.Write(p)
}

// givesList says whether args, a command line, give merge a --files-from
// list, whose parts, which stderr may go to (2>> p1.json), are known only
// once merge has read it: earlyStderr holds its notes where stderr goes to
// a file then, as they were appended to that part before merge refused it.
func givesList(args []string) bool {
	if firstArg(args) != "merge" {
		return false
	}
	for _, a := range args[1:] {
		if a == "--" {
			return false
		}
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); name == "files-from" && strings.HasPrefix(a, "-") {
			return true
		}
	}
	return false
}

// refused writes what e held where a refusal of the command line goes
// (messageStream), and is exitUsage: Run's own refusals, before it is read.
func (e *earlyStderr) refused() int {
	messageStream(e.args, nil, e.stdout, e.stderr).Write(e.held.Bytes())
	return exitUsage
}
