package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/diskfree"
)

// The markers around the generated section of a Markdown file.
const (
	BeginMarker = "<!-- bench:begin -->"
	EndMarker   = "<!-- bench:end -->"
)

// UpdateMarkdownSection replaces what lies between BeginMarker and EndMarker
// in the Markdown file at path with content, keeping the markers and
// everything outside them. The file must hold each marker exactly once, begin
// before end. It is replaced atomically (internal/atomicfile), keeping its mode.
func UpdateMarkdownSection(path, content string) error {
	f, err := PrepareMarkdownSection(path, content)
	if err != nil || f == nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("bench: update %s: %w", path, err)
	}
	return nil
}

// PrepareMarkdownSection is UpdateMarkdownSection up to the commit: it
// returns the new file written and closed, for the caller to commit with
// others (atomicfile.CommitAll), or nil when the section already holds
// content.
func PrepareMarkdownSection(path, content string) (*atomicfile.File, error) {
	old, err := readDoc(path)
	if err != nil {
		return nil, fmt.Errorf("bench: update %s: %w", path, err)
	}
	s := string(old)
	sec := findSection(s)
	if err := sec.check(); err != nil {
		return nil, fmt.Errorf("bench: update %s: %w", path, err)
	}
	content = strings.TrimRight(content, "\n")
	var out bytes.Buffer
	out.WriteString(s[:sec.from])
	if content != "" {
		// In the document's line endings (a CRLF file got bare LF lines).
		out.WriteString(strings.ReplaceAll(content, "\n", sec.eol))
		out.WriteString(sec.eol)
	}
	out.WriteString(s[sec.to:])
	if bytes.Equal(out.Bytes(), old) {
		return nil, nil
	}
	f, err := atomicfile.Prepare(path, func(w io.Writer) error {
		_, err := w.Write(out.Bytes())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bench: update %s: %w", path, err)
	}
	return f, nil
}

// MaxDocBytes is the most a Markdown document may hold for bench to
// rewrite its section: far more than any document of tables
// (docs/benchmarks.md is about 48 KB, docs/benchmarks-history.md 70 KB),
// far less than memory.
const MaxDocBytes = 64 << 20

// errNotRegular and errDocTooLarge are why readDoc refuses a file.
var (
	errNotRegular  = errors.New("not a regular file")
	errDocTooLarge = fmt.Errorf("larger than %s, more than any Markdown document holds", diskfree.SizeText(MaxDocBytes))
)

// readDoc reads the Markdown document at path: a regular file (a device
// such as /dev/zero or /dev/full was read until memory ran out, a named
// pipe waits for a writer) of at most MaxDocBytes. Its errors are
// *fs.PathError.
func readDoc(path string) ([]byte, error) {
	if err := statDoc(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The limit again: the file may have grown since, or a file system
	// may not know its size (procfs says 0).
	b, err := io.ReadAll(io.LimitReader(f, MaxDocBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxDocBytes {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errDocTooLarge}
	}
	return b, nil
}

// statDoc is readDoc's refusal of path from its os.Stat alone: not there,
// a folder, not a regular file, or larger than MaxDocBytes.
func statDoc(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	if !st.Mode().IsRegular() {
		return &fs.PathError{Op: "read", Path: path, Err: errNotRegular}
	}
	if st.Size() > MaxDocBytes {
		return &fs.PathError{Op: "read", Path: path, Err: errDocTooLarge}
	}
	return nil
}

// section is where a document's generated section lies: from is the
// offset just past the begin marker's line, to the offset of the end
// marker's line; begins and ends count the marker lines, and eol is the
// begin marker line's ending ("\n" or "\r\n").
type section struct {
	from, to     int
	begins, ends int
	eol          string
}

// findSection finds the marker lines of the Markdown text s: lines that
// hold a marker alone, indented by at most 3 spaces, outside fenced code
// blocks, so that a document may quote the markers in a code block or a
// sentence without them counting. It follows CommonMark (spec 0.31.2): a
// line indented by 4 or more is an indented code block's or a paragraph's,
// never an HTML block (section 4.6) nor a fence (section 4.5); a fence
// closes on a line of the opening fence's character alone but for spaces
// and tabs after it, at least as many of it as opened it, indented by at
// most 3; and a ``` fence's info string holds no backtick. So a ````
// block may quote a ``` one: the markers in ````markdown / ```markdown /
// markers / ``` / ```` were counted, as were those of an indented example,
// which refused a document with one real pair ("found 2 and 2") or rewrote
// the quoted example of one with none. The fence's indentation counts
// too: a 4-space "~~~" inside a ~~~ block closed it, so its quoted markers
// were rewritten, and a 4-space or tab-indented "```python" example opened
// a fence that hid the real markers after it ("found 0 and 0"). A UTF-8 byte
// order mark at the start is no part of the first line, as cmark skips it:
// a document from a Windows editor that opened with the begin marker read
// "found 0 and 1".
func findSection(s string) section {
	sec := section{eol: "\n"}
	var open fence // the open fenced block's, zero outside one
	for off := 0; off < len(s); {
		line, next := s[off:], len(s)
		if i := strings.IndexByte(s[off:], '\n'); i >= 0 {
			line, next = s[off:off+i], off+i+1
		}
		if off == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		t := strings.TrimSpace(line)
		f, isFence := fenceOf(strings.TrimSuffix(line, "\r"))
		switch {
		case open.n > 0:
			if isFence && f.closes(open) {
				open = fence{}
			}
		case isFence:
			open = f
		case indent(line) >= 4:
			// An indented code block's line, or a paragraph's: not an
			// HTML block, which CommonMark starts at most 3 spaces in.
		case t == BeginMarker:
			sec.begins++
			sec.from = next
			if strings.HasSuffix(line, "\r") {
				sec.eol = "\r\n"
			}
		case t == EndMarker:
			sec.ends++
			sec.to = off
		}
		off = next
	}
	return sec
}

// fence is a code fence line (CommonMark 0.31.2, section 4.5): n of the
// character ch, then the info string.
type fence struct {
	ch   byte
	n    int
	info string
}

// fenceOf reads line as a code fence: at most 3 spaces of indentation (a
// tab takes it to 4), 3 or more backticks or tildes, and an info string
// that holds no backtick after backticks.
func fenceOf(line string) (fence, bool) {
	if indent(line) > 3 {
		return fence{}, false
	}
	t := strings.TrimLeft(line, " ")
	ch, n := fenceRun(t)
	if n < 3 || ch == '`' && strings.ContainsRune(t[n:], '`') {
		return fence{}, false
	}
	return fence{ch, n, t[n:]}, true
}

// closes says whether f closes the block open opened: the same character,
// at least as many of it, and nothing after it but spaces and tabs.
func (f fence) closes(open fence) bool {
	return f.ch == open.ch && f.n >= open.n && strings.Trim(f.info, " \t") == ""
}

// indent is the width of line's leading blanks, a tab taking it to the
// next multiple of 4 (CommonMark, section 2.2).
func indent(line string) int {
	w := 0
	for _, c := range line {
		switch c {
		case ' ':
			w++
		case '\t':
			w += 4 - w%4
		default:
			return w
		}
	}
	return w
}

// fenceRun is the run of backticks or tildes that t starts with: its
// character and length (0 when t starts with neither).
func fenceRun(t string) (ch byte, n int) {
	if t == "" || (t[0] != '`' && t[0] != '~') {
		return 0, 0
	}
	for n < len(t) && t[n] == t[0] {
		n++
	}
	return t[0], n
}

// check says what is wrong with the markers: not one of each, or the end
// before the begin.
func (sec section) check() error {
	if sec.begins != 1 || sec.ends != 1 {
		return fmt.Errorf("want one %s line and one %s line (outside code blocks), found %d and %d", BeginMarker, EndMarker, sec.begins, sec.ends)
	}
	if sec.to < sec.from {
		return fmt.Errorf("%s comes before %s", EndMarker, BeginMarker)
	}
	return nil
}
