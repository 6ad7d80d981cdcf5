package engines

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// jsonFields are the JSON names of t's fields, those of an embedded struct
// without a tag (deviceTiming's cost) among them, as encoding/json writes
// them.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case f.Anonymous && !ok:
			out = append(out, jsonFields(f.Type)...)
		case ok && name != "-" && name != "":
			out = append(out, name)
		}
	}
	return out
}

// autoJSONSection is docs/auto.md's section on auto.json, to the next
// section.
func autoJSONSection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/auto.md")
	if err != nil {
		t.Fatal(err)
	}
	_, s, ok := strings.Cut(string(b), "\n## auto.json\n")
	if !ok {
		t.Fatal("docs/auto.md has no section \"## auto.json\"")
	}
	s, _, _ = strings.Cut(s, "\n## ")
	return s
}

// docRows are the rows of the section's tables whose first cell is a
// `field`: the field's name to the rest of the row.
func docRows(section string) map[string]string {
	rows := map[string]string{}
	for line := range strings.SplitSeq(section, "\n") {
		rest, ok := strings.CutPrefix(line, "| `")
		if !ok {
			continue
		}
		name, cells, ok := strings.Cut(rest, "` |")
		if ok {
			rows[name] = cells
		}
	}
	return rows
}

// TestAutoJSONDocumented: docs/auto.md's tables of auto.json list every
// field the calibration file holds (calibration, deviceTiming and its
// cost), and the fields of its cold and failed devices and of its
// multi_starts in their rows, and
// no field the file does not hold. auto.json's fields had been listed
// nowhere, a few named in passing in a README paragraph of 9,800
// characters, so that a field added to the code went undocumented.
func TestAutoJSONDocumented(t *testing.T) {
	rows := docRows(autoJSONSection(t))
	var want []string
	for _, v := range []any{calibration{}, deviceTiming{}, cost{}} {
		want = append(want, jsonFields(reflect.TypeOf(v))...)
	}
	for _, f := range want {
		if _, ok := rows[f]; !ok {
			t.Errorf("docs/auto.md: auto.json's field %q has no row in its tables", f)
		}
	}
	for f := range rows {
		if !slices.Contains(want, f) {
			t.Errorf("docs/auto.md: a row names %q, which auto.json does not hold", f)
		}
	}
	for row, v := range map[string]any{"cold": coldDevice{}, "failed": failedDevice{}, "multi_starts": multiStart{}} {
		for _, f := range jsonFields(reflect.TypeOf(v)) {
			if !strings.Contains(rows[row], "`"+f+"`") {
				t.Errorf("docs/auto.md: the row of %q does not name its entries' field %q", row, f)
			}
		}
	}
}
