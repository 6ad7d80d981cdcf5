// Package quote writes a string that came from outside gpusim (a file name, a driver's device or platform name) so that it prints on one line of valid UTF-8 (Printable).
package quote
