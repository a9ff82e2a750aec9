package collectors

// TextViewer is a section with a view of its own for `bootinfo show
// --format text`: a value whose outline reads better than the JSON's (a
// certificate on one line rather than nine). The JSON is not changed.
type TextViewer interface {
	TextView() any
}

// TextView returns the document with each section that has a text view
// replaced by it.
func (d Document) TextView() any {
	out := make(Document, len(d))
	for k, v := range d {
		if tv, ok := v.(TextViewer); ok {
			v = tv.TextView()
		}
		out[k] = v
	}
	return out
}
