package collectors

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/gzipcat"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/promslog"
)

// encoded is v as encoding/json's Encoder writes it, indented or not: what
// /bootinfo wrote before it spliced cached sections, and what `bootinfo
// show` still writes.
func encoded(t *testing.T, v any, indent bool) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// spliced returns blocks' text, and checks that their gzip segments
// decode to the same.
func spliced(t *testing.T, blocks []*Block) string {
	t.Helper()
	var text bytes.Buffer
	segs := make([]gzipcat.Segment, len(blocks))
	for i, b := range blocks {
		text.Write(b.Text)
		segs[i] = b.Gzip
	}
	var gz bytes.Buffer
	if err := gzipcat.Write(&gz, segs...); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, text.Bytes()) {
		t.Fatalf("gzip body decodes to %d bytes (%v), text is %d", len(plain), err, text.Len())
	}
	return text.String()
}

// TestDocumentBlocksAsEncoderWrites: the document and each section spliced
// from cached blocks are byte for byte what json.Encoder writes for
// NewDocument (and, indented, what `bootinfo show` prints), with the host
// collector's section, text JSON escapes (HTML, U+2028, invalid UTF-8), a
// collector that failed with a partial section and one that failed with
// none; unchanged snapshots are not encoded again.
func TestDocumentBlocksAsEncoderWrites(t *testing.T) {
	root := agent.BareFixtureRoot(t)
	host, err := NewHostCollector(Config{Paths: Paths{RootFS: root, ProcFS: filepath.Join(root, "proc")}})
	if err != nil {
		t.Fatal(err)
	}
	escapes := &Snapshot{Section: map[string]any{
		"html": "<script>alert('&')</script>", "separators": "a\u2028b\u2029c", "invalid": "x\xffy",
		"nested": []any{map[string]int{"b": 2, "a": 1}, nil, 1.5e300},
	}}
	set := NewSet(map[string]Collector{
		"host":    host,
		"escapes": funcCollector(func(context.Context) (*Snapshot, error) { return escapes, nil }),
		"partial": funcCollector(func(context.Context) (*Snapshot, error) {
			return &Snapshot{Section: map[string]string{"half": "read"}}, errors.New("half of it <unreadable>")
		}),
		"broken": funcCollector(func(context.Context) (*Snapshot, error) { return nil, errors.New("no source") }),
	}, time.Minute, promslog.NewNopLogger())
	var first []*Block
	for round := range 2 {
		outcomes := set.Gather(context.Background())
		blocks, err := set.DocumentBlocks(outcomes)
		if err != nil {
			t.Fatal(err)
		}
		got := spliced(t, blocks)
		doc := NewDocument(outcomes)
		if want := encoded(t, doc, false); got != want {
			t.Errorf("round %d: document differs from json.Encoder's:\n%s", round, cmp.Diff(want, got))
		}
		var indented bytes.Buffer
		if err := json.Indent(&indented, []byte(got), "", "  "); err != nil {
			t.Fatal(err)
		}
		if want := encoded(t, doc, true); indented.String() != want {
			t.Errorf("round %d: indented document differs from show's:\n%s", round, cmp.Diff(want, indented.String()))
		}
		for _, o := range outcomes {
			if o.Snapshot == nil {
				if _, err := set.SectionBlocks(o); err == nil {
					t.Errorf("section %s without a snapshot encoded", o.Name)
				}
				continue
			}
			sb, err := set.SectionBlocks(o)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := spliced(t, sb), encoded(t, o.Snapshot.Section, false); got != want {
				t.Errorf("section %s differs from json.Encoder's:\n%s", o.Name, cmp.Diff(want, got))
			}
		}
		if round == 0 {
			first = blocks
			continue
		}
		// Keys and values of errors (made anew), escapes (the same
		// snapshot), host (a new one, its uptime read again), partial (a
		// new one), then the closing brace.
		if len(blocks) != 9 || blocks[3] != first[3] || !strings.HasPrefix(string(blocks[3].Text), `{"html":`) {
			t.Error("an unchanged section was encoded again")
		}
	}
}

// TestDocumentBlocksRefusesWhatCannotEncode: a section JSON has no form
// for (a time past year 9999, NaN) is an error naming the section: the
// section alone is refused, and the document leaves it out and says why in
// its errors, rather than being cut short or lost whole.
func TestDocumentBlocksRefusesWhatCannotEncode(t *testing.T) {
	for name, v := range map[string]any{
		"year10000": struct{ At time.Time }{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"nan":       map[string]float64{"x": math.NaN()},
	} {
		set := NewSet(map[string]Collector{
			"bad": funcCollector(func(context.Context) (*Snapshot, error) { return &Snapshot{Section: v}, nil }),
			"ok":  okCollector(1),
		}, time.Minute, promslog.NewNopLogger())
		outcomes := set.Gather(context.Background())
		if _, err := json.Marshal(NewDocument(outcomes)); err == nil {
			t.Fatalf("%s: encoding/json encodes it; the test needs a value it refuses", name)
		}
		blocks, err := set.DocumentBlocks(outcomes)
		if err == nil || blocks == nil || !strings.Contains(err.Error(), "encoding section bad: json: ") {
			t.Fatalf("%s: document: %d blocks, error %v", name, len(blocks), err)
		}
		var body bytes.Buffer
		for _, b := range blocks {
			body.Write(b.Text)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(body.Bytes(), &doc); err != nil {
			t.Fatalf("%s: the document does not parse: %v\n%s", name, err, body.String())
		}
		if _, ok := doc["bad"]; ok || doc["ok"] == nil || !strings.Contains(string(doc["errors"]), `"bad":"cannot encode the section: encoding section bad`) {
			t.Errorf("%s: document %s", name, body.String())
		}
		if _, err := set.SectionBlocks(outcomes[0]); err == nil || !strings.Contains(err.Error(), "section bad") {
			t.Errorf("%s: section: %v", name, err)
		}
	}
}
