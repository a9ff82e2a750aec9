package collectors

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/bootinfo/bootinfo/internal/gzipcat"
)

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

// literal is a piece of JSON punctuation as a Block, stored uncompressed.
func literal(s string) *Block {
	return &Block{Text: []byte(s), Gzip: gzipcat.Stored([]byte(s))}
}

var (
	newlineBlock  = literal("\n")
	closeDocument = literal("}\n")
)

// jsonKeys are the pieces that stand before a member's value in an
// object: `{"name":` for the first member, `,"name":` for the others.
type jsonKeys struct{ first, next *Block }

func newJSONKeys(name string) jsonKeys {
	q, _ := json.Marshal(name) // a string always encodes
	return jsonKeys{first: literal("{" + string(q) + ":"), next: literal("," + string(q) + ":")}
}

var errorsKeys = newJSONKeys("errors")

// DocumentBlocks returns NewDocument(outcomes), which must be a whole
// gathering's (Gather without names), encoded as encoding/json's Encoder
// writes it (members sorted by name, a newline at the end), in blocks to
// splice into one body: each section is encoded and compressed once per
// snapshot, and kept while the collector returns the same snapshot; only
// the errors are encoded anew. A section that cannot be encoded (a time
// past year 9999, a value JSON has no form for) is left out and said so in
// the errors, as a failed collector is: one source never takes the others
// down. The error then names the sections left out; blocks is nil only
// when the document could not be made at all.
func (s *Set) DocumentBlocks(outcomes []Outcome) ([]*Block, error) {
	type member struct {
		name  string
		keys  jsonKeys
		value *Block
	}
	members := make([]member, 0, len(outcomes)+1)
	errs := map[string]string{}
	var encErrs []error
	for _, o := range outcomes {
		if o.Err != nil {
			errs[o.Name] = o.Err.Error()
		}
		if o.Snapshot == nil || o.Snapshot.Section == nil {
			continue
		}
		r := s.runner(o.Name)
		if r == nil {
			return nil, fmt.Errorf("no collector %s in the set", o.Name)
		}
		b, err := r.section(o.Snapshot)
		if err != nil {
			encErrs = append(encErrs, err)
			errs[o.Name] = "cannot encode the section: " + err.Error()
			continue
		}
		members = append(members, member{o.Name, r.jsonKeys, b})
	}
	text, err := json.Marshal(errs)
	if err != nil { // a map of strings always encodes
		return nil, err
	}
	members = append(members, member{"errors", errorsKeys, &Block{Text: text, Gzip: gzipcat.Stored(text)}})
	sort.Slice(members, func(i, j int) bool { return members[i].name < members[j].name })
	blocks := make([]*Block, 0, 2*len(members)+1)
	for i, m := range members {
		if i == 0 {
			blocks = append(blocks, m.keys.first)
		} else {
			blocks = append(blocks, m.keys.next)
		}
		blocks = append(blocks, m.value)
	}
	return append(blocks, closeDocument), errors.Join(encErrs...)
}

// SectionBlocks returns o's section, which it must have, encoded as
// encoding/json's Encoder writes it (a newline at the end), in blocks to
// splice into one body; like the document's, the section is encoded once
// per snapshot.
func (s *Set) SectionBlocks(o Outcome) ([]*Block, error) {
	if o.Snapshot == nil || o.Snapshot.Section == nil {
		return nil, fmt.Errorf("collector %s has no section to encode", o.Name)
	}
	r := s.runner(o.Name)
	if r == nil {
		return nil, fmt.Errorf("no collector %s in the set", o.Name)
	}
	b, err := r.section(o.Snapshot)
	if err != nil {
		return nil, err
	}
	return []*Block{b, newlineBlock}, nil
}

// section returns snap's section encoded as JSON, from the runner's cache
// when snap is the snapshot it was last encoded from.
func (r *runner) section(snap *Snapshot) (*Block, error) {
	b, err := r.sections.get(snap, func() (*Block, error) {
		text, err := json.Marshal(snap.Section)
		if err != nil {
			return nil, err
		}
		return &Block{Text: text}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("encoding section %s: %w", r.name, err)
	}
	return b, nil
}

// runner returns the named collector's runner, or nil.
func (s *Set) runner(name string) *runner {
	for _, r := range s.runners {
		if r.name == name {
			return r
		}
	}
	return nil
}
