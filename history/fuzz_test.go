package history

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// fixtureRecords returns the raw JSON of every fixture record.
func fixtureRecords(f *testing.F) [][]byte {
	paths, _ := filepath.Glob(filepath.Join("testdata", "records", "*.json"))
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzParseFile: the decoder never panics, keeps only valid unique records,
// and what it accepts survives a round trip.
func FuzzParseFile(f *testing.F) {
	var rs []Record
	for _, b := range fixtureRecords(f) {
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			f.Fatal(err)
		}
		rs = append(rs, r)
	}
	whole, err := MarshalFile(rs)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole)
	f.Add(whole[:len(whole)/3])
	f.Add([]byte(`{"schema":"bootinfo.history","version":1,"boots":[{"boot_id":"a","boot_time":"2026-01-01T00:00:00Z","dimms":[{"locator":"A1","size_bytes":1}]},{"boot_id":"a"}]}`))
	f.Add([]byte(`{"schema":"bootinfo.history","version":2}`))
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte(`"x"`))
	f.Add([]byte(`{"schema":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		boots, err := ParseFile(b)
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrForeign) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("unclassified error: %v", err)
		}
		if len(boots) > len(b)/20+1 {
			t.Fatalf("%d boots from %d bytes", len(boots), len(b))
		}
		seen := map[string]bool{}
		for _, r := range boots {
			if r.validate() != nil || seen[r.BootID] {
				t.Fatalf("invalid or duplicate record kept: %+v", r)
			}
			seen[r.BootID] = true
		}
		if len(boots) == 0 {
			return
		}
		out, err := MarshalFile(boots)
		if err != nil {
			return // re-encoding may exceed MaxFileSize; that is reported
		}
		again, err := ParseFile(out)
		if err != nil {
			t.Fatalf("re-parse of own output: %v", err)
		}
		if diff := cmp.Diff(boots, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzDiff: Diff never panics, a boot equals itself, and the changes are
// symmetric: the same components, each DIMM added one way removed the other.
func FuzzDiff(f *testing.F) {
	recs := fixtureRecords(f)
	for i := range recs {
		for j := range recs {
			f.Add(recs[i], recs[j])
		}
	}
	if dir := sharedIfPresent("boots"); dir != "" {
		paths, _ := filepath.Glob(filepath.Join(dir, "*", "proc-cmdline"))
		for i := 1; i < len(paths); i++ {
			a, _ := os.ReadFile(paths[i-1])
			b, _ := os.ReadFile(paths[i])
			ja, _ := json.Marshal(Record{BootID: "a", Cmdline: string(a)})
			jb, _ := json.Marshal(Record{BootID: "b", Cmdline: string(b)})
			f.Add(ja, jb)
		}
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var ra, rb Record
		if json.Unmarshal(a, &ra) != nil || json.Unmarshal(b, &rb) != nil {
			return
		}
		if got := Diff(ra, ra); len(got) != 0 {
			t.Fatalf("a boot differs from itself: %+v", got)
		}
		ab, ba := Diff(ra, rb), Diff(rb, ra)
		comps := func(cs []Change) []string {
			var out []string
			for _, c := range cs {
				if !slices.Contains(Components, c.Component) {
					t.Fatalf("unknown component %q", c.Component)
				}
				out = append(out, c.Component)
			}
			slices.Sort(out)
			return out
		}
		if diff := cmp.Diff(comps(ab), comps(ba)); diff != "" {
			t.Fatalf("asymmetric components (-a->b +b->a):\n%s", diff)
		}
		if len(ab) > len(Components)+len(ra.DIMMs)+len(rb.DIMMs) {
			t.Fatalf("%d changes", len(ab))
		}
	})
}

// FuzzParsePstoreRecord: the pstore decoder never panics and bounds what it
// keeps.
func FuzzParsePstoreRecord(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "pstore", "*", "*"))
	captured, _ := filepath.Glob(filepath.Join("testdata", "qemu", "*", "dmesg-*"))
	paths = append(paths, captured...)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(p), b)
	}
	if dir := sharedIfPresent("boots"); dir != "" {
		logs, _ := filepath.Glob(filepath.Join(dir, "*", "dmesg.txt"))
		for _, p := range logs {
			b, _ := os.ReadFile(p)
			f.Add("console-ramoops-0", b)
			f.Add("dmesg-efi-179551133501002", append([]byte("Panic#1 Part1\n"), b...))
		}
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		r := ParsePstoreRecord(name, time.Unix(0, 0), data)
		if len(r.FirstLines) > MaxFirstLines {
			t.Fatalf("%d first lines", len(r.FirstLines))
		}
		for _, l := range r.FirstLines {
			if len(l) > maxLineBytes || !utf8.ValidString(l) || l == "" {
				t.Fatalf("bad line %q", l)
			}
		}
		if r.Crash && r.Type == "" {
			t.Fatal("crash from a file that is no pstore record")
		}
		// The same text as two parts of one dump exercises reassembly.
		half := len(data) / 2
		p1 := ParsePstoreRecord("dmesg-efi-100001", time.Unix(1, 0), data[:half])
		p2 := ParsePstoreRecord("dmesg-efi-100002", time.Unix(1, 0), data[half:])
		for _, recs := range [][]PstoreRecord{{r}, {p1, p2, r}} {
			e := JudgeEnd(&Record{BootID: "x", BootTime: time.Unix(0, 0)}, recs, nil)
			if len(e.FirstLines) > MaxFirstLines {
				t.Fatalf("%d first lines in the verdict", len(e.FirstLines))
			}
			if e.State == EndClean && orderlyDump(recs, time.Unix(0, 0)) == nil {
				t.Fatalf("clean without a clean mark or a shutdown dump: %+v", e)
			}
		}
	})
}

// sharedIfPresent returns a shared corpus path for fuzz seeds, or "" when
// the corpus is absent: seeds are a bonus there, not a requirement.
func sharedIfPresent(elem ...string) string {
	base := os.Getenv(testutil.EnvSharedTestdata)
	if base == "" {
		wd, err := os.Getwd()
		if err != nil {
			return ""
		}
		base = filepath.Join(wd, "..", "..", "shared", "testdata")
	}
	p := filepath.Join(append([]string{base}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}
