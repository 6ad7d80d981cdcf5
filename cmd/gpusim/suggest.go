package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/internal/suggest"
)

// closest and orList are the suggestions' (internal/suggest), which the
// values' errors share.
var (
	closest = suggest.Closest
	orList  = suggest.OrList
)

// commandSuggestion is the hint's start for name, a command app does not
// have: "did you mean 'gpusim run'? " where a command's name is near it
// (closest), "" where none is.
func commandSuggestion(app *cli.App, name string) string {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	near := closest(name, names)
	if len(near) == 0 {
		return ""
	}
	for i, n := range near {
		near[i] = "'gpusim " + n + "'"
	}
	return "did you mean " + orList(near) + "? "
}

// unknownFlagHint is the hint for name (without dashes, as typed: typed),
// a flag cmd does not take (nil: the app's own flags, root): where a flag
// of cmd is near it, that flag ("did you mean --lanes?"); where another
// command takes it, whose it is (run --update-doc: a flag of 'gpusim
// bench'; a command's flag before the command: give it after; gpusim's
// own after a command: give it before); and where to see the flags.
func unknownFlagHint(app *cli.App, cmd *cli.Command, name, typed string) string {
	flags, help := app.Flags, "gpusim --help"
	if cmd != nil {
		flags, help = cmd.Flags, "gpusim "+cmd.Name+" --help"
	}
	var names []string
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); !ok || v.IsVisible() {
			names = append(names, f.Names()...) // not run's old --backend
		}
	}
	if base, value, spaced := strings.Cut(name, " "); spaced {
		// run '--lanes 5': the flag and its value quoted as one.
		dashes := strings.TrimSuffix(typed, name)
		for _, f := range flags {
			if slices.Contains(f.Names(), base) {
				return spacedHint(f, dashes+base, value, help)
			}
		}
		name, typed = base, dashes+base // run '--lanse 5': --lanse's hint
	}
	var owners, quoted []string
	for _, c := range app.Commands {
		if c != cmd && slices.ContainsFunc(c.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) }) {
			owners, quoted = append(owners, c.Name), append(quoted, "'gpusim "+c.Name+"'")
		}
	}
	list := strings.Join(quoted, "")
	if k := len(quoted) - 1; k > 0 {
		// 'gpusim run', 'gpusim merge' and 'gpusim bench'
		list = strings.Join(quoted[:k], ", ") + " and " + quoted[k]
	}
	if cmd == nil && len(owners) > 0 {
		// A command's flag before the command: say whose it is.
		return fmt.Sprintf("%s is a flag of %s: give it after the command, as in 'gpusim %s %s ...'", typed, list, owners[0], typed)
	}
	hint := ""
	if near := closest(name, names); len(near) > 0 {
		for i, n := range near {
			near[i] = "--" + n
			if len(n) == 1 {
				near[i] = "-" + n
			}
		}
		hint = fmt.Sprintf("did you mean %s? ", orList(near))
	}
	switch {
	case len(owners) > 0:
		// bench --engine: did you mean --engines? --engine is run's.
		hint += fmt.Sprintf("%s is a flag of %s, not of 'gpusim %s'; ", typed, list, cmd.Name)
	case cmd != nil && slices.ContainsFunc(app.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) }):
		// run --version: gpusim's own, which comes before any command.
		return fmt.Sprintf("%s is gpusim's own flag, given before a command: 'gpusim %s'", typed, typed)
	}
	return hint + fmt.Sprintf("see '%s'", help)
}

// spacedHint is the hint for flag f, typed as typed, given its value in
// the same argument after a space (run '--lanes 5', run '-q 1'), as a
// script that quotes "$FLAGS" gives it.
func spacedHint(f cli.Flag, typed, value, help string) string {
	if _, ok := f.(*cli.BoolFlag); ok {
		return fmt.Sprintf("a switch takes its value after =: %s=%s; see '%s'", typed, value, help)
	}
	return fmt.Sprintf("a flag and its value are two arguments: %s %s unquoted, or %s=%s; see '%s'", typed, value, typed, value, help)
}

// longValue is the most of one value (a quoted string, or a word) an
// error about the command line writes whole; reLongQuoted and reLongWord
// find the values (regexp counts repeats up to 1000 only).
const longValue = 1000

var (
	reLongQuoted = lazyRegexp(`"(?:[^"\\]|\\.)*"`)
	reLongWord   = lazyRegexp(`[^\s"]+`)
)

// shortenLong is msg, an error about the command line, with each value
// in it longer than longValue bytes cut to its first 64 and its length:
// a value of 100,000 bytes (--lanes "$(cat file)") was written whole, in
// the error and again in its hint.
func shortenLong(msg string) string {
	if len(msg) <= longValue {
		return msg
	}
	// cut is s, the text of a value n bytes long, as its first 64 bytes
	// and n.
	cut := func(s string, n int) string {
		head := s[:64]
		if i := strings.LastIndexByte(head, '\\'); i >= 64-10 {
			head = head[:i] // not within an escape (\xff, \u00e9)
		}
		return fmt.Sprintf("%s...(%d bytes in all)", head, n)
	}
	msg = reLongQuoted().ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) <= longValue {
			return q
		}
		n := len(q) - 2
		if v, err := strconv.Unquote(q); err == nil {
			n = len(v)
		}
		return cut(q[:len(q)-1], n) + `"`
	})
	return reLongWord().ReplaceAllStringFunc(msg, func(w string) string {
		if len(w) <= longValue {
			return w
		}
		// Its punctuation stays: "--lanes=777...;" lost its ";".
		v := strings.TrimRight(w, ";:,.)")
		return cut(v, len(v)) + w[len(v):]
	})
}
