package quote

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable is s, or s quoted as Go quotes a string when it is empty,
// begins or ends with whitespace (unicode.IsSpace), or holds a character
// that is not printable (strconv.IsPrint: a newline, an escape, a
// right-to-left override, a no-break space) or is not UTF-8: a file name
// " .npy" printed as ".npy", nothing showing its space; a file name or a
// merged part's engine or device with a newline split its line, and could
// print a line such as "digest    ..." of its own; a driver's device name
// with an escape sequence reached the terminal as is in an error; and an
// empty name left a gap (gpusim devices wrote no "platform:" line for a
// platform without one). Reports, gpusim devices and selftest, bench's
// notes of the files it wrote, and every error or note that names a
// device or platform write the strings they did not make through it.
func Printable(s string) string {
	if s != "" && utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) < 0 &&
		strings.TrimFunc(s, unicode.IsSpace) == s {
		return s
	}
	return strconv.Quote(s)
}

// Shell is s as a word a POSIX shell reads back as s: as it is where it
// holds only characters no shell treats specially (letters, digits and
// "@%+=:,./-_"), else between single quotes, each single quote in it
// ending the quoted part, escaped by a backslash and the quoted part begun
// again (POSIX.1-2017, Shell Command Language, 2.2.2 and 2.2.3). The commands gpusim's
// hints give to paste (the rm -f of a crash's marks, of auto's
// calibration) write the paths they name through it: a cache folder with a
// space or a $ in its path (GPUSIM_CACHE_DIR="/home/me/my cache") made the
// pasted rm -f remove other files than the mark, and the mark not at all.
func Shell(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !shellSafe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellWords is the words ws, each written by Shell, joined by spaces.
func ShellWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = Shell(w)
	}
	return strings.Join(q, " ")
}

// shellSafe says whether r means itself to a POSIX shell in every place of
// a word.
func shellSafe(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r))
}
