// Package atomicfile writes output files so that a reader sees the whole new file or the old one, never a part: a temporary file in the target's folder, synced and renamed over the target, the folder synced.
package atomicfile
