package shard

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// strictDecode decodes data, one JSON value, into v, a pointer, as a
// json.Decoder with DisallowUnknownFields does: the same values, and the
// same error where it refuses data (an unknown field, a value of the
// wrong type, a value its own UnmarshalJSON refuses). A part's payload is
// decoded by json.Unmarshal, in place, and its keys checked by
// exactKeys; only where either finds something amiss is it decoded again
// by the Decoder, for the Decoder's error. The Decoder alone copied data
// into a buffer it grew by doubling, 64 MiB allocated (the last 32 MiB)
// for the payload of a part of 20 MB, beside the payload itself.
func strictDecode(data []byte, v any) error {
	if json.Unmarshal(data, v) == nil && exactKeys(data, reflect.TypeOf(v)) {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero()
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// exactKeys says whether each key of the objects in data, valid JSON,
// that json decodes as a value of type t into a struct is the exact
// name of a field of that struct: then a json.Decoder with
// DisallowUnknownFields finds no unknown field in it either. It may say
// false where the Decoder finds none (a key that names a field in other
// case, or in escapes, a struct with embedded fields), which costs a
// second decoding, never true where the Decoder finds one. Values that
// decode through their own UnmarshalJSON or UnmarshalText, or into an
// interface, are not looked into: the Decoder checks no keys there.
func exactKeys(data []byte, t reflect.Type) bool {
	s := keyScan{data: data}
	ok := s.value(t)
	return ok && s.err == nil
}

// keyScan walks a JSON text that json.Unmarshal has accepted.
type keyScan struct {
	data []byte
	i    int
	err  error // set where the text is not as valid JSON has it
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	errKeyScan      = &json.SyntaxError{}
)

// space skips whitespace.
func (s *keyScan) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value walks the value at s.i, as type t, and says whether its keys are
// exact (exactKeys).
func (s *keyScan) value(t reflect.Type) bool {
	s.space()
	if s.i >= len(s.data) {
		s.err = errKeyScan
		return false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) {
			t = nil
			break
		}
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = nil // its own decoding, which the Decoder's checks do not reach
	}
	switch c := s.data[s.i]; {
	case c == '{' && t != nil && t.Kind() == reflect.Struct:
		return s.object(fieldsOf(t), nil)
	case c == '{' && t != nil && t.Kind() == reflect.Map:
		return s.object(nil, t.Elem())
	case c == '[' && t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		return s.array(t.Elem())
	}
	s.skip()
	return s.err == nil
}

// object walks the object at s.i: its keys against fields, a struct's
// (nil where it has embedded fields, which says false), and its values as
// their fields' types; or, where fields is nil and elem not, a map's
// values as elem.
func (s *keyScan) object(fields *structFields, elem reflect.Type) bool {
	s.i++ // {
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return true
	}
	for s.err == nil {
		s.space()
		key, ok := s.key()
		if !ok {
			return false
		}
		t := elem
		if elem == nil {
			if fields == nil || fields.embedded {
				return false
			}
			if t, ok = fields.types[string(key)]; !ok {
				return false
			}
		}
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			s.err = errKeyScan
			return false
		}
		s.i++
		if !s.value(t) {
			return false
		}
		s.space()
		if s.i < len(s.data) && s.data[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(s.data) && s.data[s.i] == '}' {
			s.i++
			return true
		}
		s.err = errKeyScan
	}
	return false
}

// key reads the string at s.i, a key, without its quotes; false where it
// holds an escape (it may name a field in escapes) or is not a string.
func (s *keyScan) key() ([]byte, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		s.err = errKeyScan
		return nil, false
	}
	j := s.i + 1
	for j < len(s.data) && s.data[j] != '"' && s.data[j] != '\\' {
		j++
	}
	if j >= len(s.data) || s.data[j] != '"' {
		return nil, false
	}
	key := s.data[s.i+1 : j]
	s.i = j + 1
	return key, true
}

// array walks the array at s.i, its elements as elem.
func (s *keyScan) array(elem reflect.Type) bool {
	s.i++ // [
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return true
	}
	for s.err == nil {
		if !s.value(elem) {
			return false
		}
		s.space()
		if s.i < len(s.data) && s.data[s.i] == ',' {
			s.i++
			continue
		}
		if s.i < len(s.data) && s.data[s.i] == ']' {
			s.i++
			return true
		}
		s.err = errKeyScan
	}
	return false
}

// skip moves s.i past the value at it, nested values and strings whole.
func (s *keyScan) skip() {
	depth, in := 0, false
	for ; s.i < len(s.data); s.i++ {
		c := s.data[s.i]
		switch {
		case in && c == '\\':
			s.i++
		case in && c == '"':
			in = false
			if depth == 0 {
				s.i++
				return
			}
		case in:
		case c == '"':
			in = true
		case c == '{' || c == '[':
			depth++
		case (c == '}' || c == ']') && depth == 0:
			return // the end of a number or literal, its container's
		case c == '}' || c == ']':
			if depth--; depth == 0 {
				s.i++
				return
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return // the end of a number or literal
		}
	}
	if depth != 0 || in {
		s.err = errKeyScan
	}
}

// structFields is a struct type's fields as json names them.
type structFields struct {
	types    map[string]reflect.Type // each field's type by its JSON name
	embedded bool                    // it has embedded fields, which exactKeys does not follow
}

var fieldCache sync.Map // reflect.Type to *structFields

// fieldsOf is the fields of t, a struct type, by the names json gives them:
// the tag's name, else the field's own; exported fields only, and none
// tagged "-".
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f := &structFields{types: map[string]reflect.Type{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			f.embedded = true
			continue
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f.types[name] = sf.Type
	}
	fieldCache.Store(t, f)
	return f
}
