// Package jsonnum writes a negative zero in gpusim's JSON as -0.0, which keeps its sign and its type in Python's json.
package jsonnum
