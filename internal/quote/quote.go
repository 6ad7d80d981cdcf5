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
