package quote

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Printable is s, or s quoted as Go quotes a string when it is empty or
// holds a character that is not printable (a newline, an escape) or is not
// UTF-8: a file name or a merged part's engine or device with a newline
// split its line, and could print a line such as "digest    ..." of its
// own; a driver's device name with an escape sequence reached the terminal
// as is in an error; and an empty name left a gap (gpusim devices wrote no
// "platform:" line for a platform without one). Reports, gpusim devices and
// selftest, and every error or note that names a device or platform write
// the strings they did not make through it.
func Printable(s string) string {
	if s != "" && utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}
