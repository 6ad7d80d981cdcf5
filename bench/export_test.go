package bench

import "bytes"

// UpdateMarkdown writes r's Markdown tables into the marked section of path.
func UpdateMarkdown(path string, r *Report) error {
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		return err
	}
	return UpdateMarkdownSection(path, b.String())
}
