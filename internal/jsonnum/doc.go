// Package jsonnum writes numbers in gpusim's JSON as its readers want them: a negative zero as -0.0, which keeps its sign and its type in Python's json, and a duration's seconds with no binary tail.
package jsonnum
