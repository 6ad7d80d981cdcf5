package shard

import (
	"encoding/json"

	"github.com/gpusim/gpusim/sim"
)

// WritePart saves r as a part file at path.
func WritePart(path string, r *sim.Result) error { return NewPart(r).WriteFile(path) }

// MergeParts is Merge's summary alone.
func MergeParts(parts []*Part) (*sim.Summary, error) {
	r, err := Merge(parts)
	if err != nil {
		return nil, err
	}
	return r.Summary, nil
}

// PayloadChecksum is the checksum of a payload as version 4 (and versions
// 2 and 3, when it has none of the later versions' fields) sums it, for tests that forge parts;
// a payload that does not decode gets the SHA-256 of its text.
func PayloadChecksum(payload []byte) string {
	var pl partPayload
	if err := strictDecode(payload, &pl); err != nil {
		return checksum(payload)
	}
	b, err := json.Marshal(&pl)
	if err != nil {
		panic(err)
	}
	return checksum(b)
}

// PlainCounts is plainCounts.
func PlainCounts(b []byte) ([]uint64, bool) { return plainCounts(b) }

// ReadPartBytes is readPartBytes.
func ReadPartBytes(path string) ([]byte, error) { return readPartBytes(path) }

// CompactChecksum is compactChecksum.
func CompactChecksum(b []byte) string { return compactChecksum(b) }

// Checksum is checksum.
func Checksum(b []byte) string { return checksum(b) }
