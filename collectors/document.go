package collectors

import "sort"

// Document is the JSON document /bootinfo serves and `bootinfo show` prints:
// one key per collector section plus "errors", which maps a collector's name
// to why it failed. A collector that failed with a partial snapshot keeps its
// section.
type Document map[string]any

// NewDocument assembles outcomes into a Document.
func NewDocument(outcomes []Outcome) Document {
	d := Document{}
	errs := map[string]string{}
	for _, o := range outcomes {
		if o.Snapshot != nil && o.Snapshot.Section != nil {
			d[o.Name] = o.Snapshot.Section
		}
		if o.Err != nil {
			errs[o.Name] = o.Err.Error()
		}
	}
	d["errors"] = errs
	return d
}

// Sections returns the names of the sections present, sorted.
func (d Document) Sections() []string {
	var out []string
	for k := range d {
		if k != "errors" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
