package shard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"
)

// decoderDecode is strictDecode as it was: a json.Decoder with
// DisallowUnknownFields, whose values and errors strictDecode keeps.
func decoderDecode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// sameDecode fails t unless strictDecode and decoderDecode decode data
// alike, as a payload and as an envelope: the same error, or the same
// values.
func sameDecode(t *testing.T, data []byte) {
	t.Helper()
	for _, v := range []func() any{func() any { return new(partPayload) }, func() any { return new(partFile) }} {
		got, want := v(), v()
		gerr, werr := strictDecode(data, got), decoderDecode(data, want)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("%T of %.200q: error %v, the Decoder's %v", got, data, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%T of %.200q: %+v, the Decoder's %+v", got, data, got, want)
		}
	}
}

// strictSeeds are payloads and envelopes that strictDecode must refuse
// or take as the Decoder does: unknown fields at each depth, keys in other
// case or in escapes (which the Decoder takes as the field's), values of
// the wrong type, values the fields' own UnmarshalJSON refuses, and two of
// them in either order (the Decoder names the first it met, except that a
// refusal by UnmarshalJSON comes first), keys given twice, trailing data.
var strictSeeds = []string{
	`{"engine": "simd", "colour": "blue"}`,
	`{"params": {"lanes": "5", "colour": 1}}`,
	`{"summary": {"hist": {"lo": 1, "bins": [1, 2], "colour": 1}}}`,
	`{"daily": [{"count": "1"}, {"count": "1", "colour": {"a": [1]}}]}`,
	`{"daily": [{"count": "1"}, {"count": "1"}], "shard": {"index": "1", "count": "2"}}`,
	`{"Engine": "simd", "SUMMARY": {"Hist": {"LO": 2}}}`,
	`{"\u0065ngine": "simd"}`,
	`{"engine\u0000": "simd"}`,
	`{"ſummary": {"count": "3"}}`,
	`{"engine": 5}`,
	`{"engine": 5, "colour": 1}`,
	`{"colour": 1, "engine": 5}`,
	`{"colour": 1, "params": {"lanes": "x"}}`,
	`{"params": {"lanes": "x"}, "colour": 1}`,
	`{"wall_seconds": 1e999}`,
	`{"params": {"steps": 1.5}}`,
	`{"summary": {"hist": {"bins": [1, "x"]}}}`,
	`{"summary": {"min": "x"}}`,
	`{"engine": "a", "engine": "b"}`,
	`{"summary": {"count": "1"}, "summary": {"mean": 2}}`,
	`{"daily": null, "shard": null, "finals": null}`,
	`{"daily": [], "finals": "AAAA"}`,
	`{"daily": [null, 5]}`,
	`{"params": [1, {"colour": 1}]}`,
	`{"engine": "simd"} {"colour": 1}`,
	`{"engine": "simd"} x`,
	`{"engine": "sim`,
	`[]`,
	`null`,
	` {"engine" : "simd" , "device" : "x\" }"} `,
	`{"format": "gpusim-part", "version": 4, "payload": {"colour": 1}, "checksum": "x"}`,
	`{"format": "gpusim-part", "version": 4, "payload": 5, "checksum": "x", "colour": 1}`,
	`{"format": "gpusim-part", "Version": 4}`,
}

// TestStrictDecode: strictDecode decodes as the Decoder, on the seeds and
// on the payloads and envelopes of testdata's parts.
func TestStrictDecode(t *testing.T) {
	for _, s := range strictSeeds {
		sameDecode(t, []byte(s))
	}
	for _, name := range []string{"testdata/v1-part-0.json", "testdata/v2-part-0.json", "testdata/v3-part-0.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := envelope(data)
		if !ok {
			t.Fatalf("%s: no envelope", name)
		}
		sameDecode(t, data)
		sameDecode(t, f.Payload)
		var pl partPayload
		if err := strictDecode(f.Payload, &pl); err != nil || !exactKeys(f.Payload, reflect.TypeOf(&pl)) {
			t.Errorf("%s: %v, or its keys not exact: decoded twice", name, err)
		}
	}
}

// FuzzStrictDecode checks that strictDecode decodes any bytes as the
// Decoder does.
func FuzzStrictDecode(f *testing.F) {
	for _, s := range strictSeeds {
		f.Add([]byte(s))
	}
	data, err := os.ReadFile("testdata/v3-part-0.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(sameDecode)
}
