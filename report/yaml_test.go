package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// roundTrip writes doc as YAML, reads it back with sigs.k8s.io/yaml
// (go-yaml v2, a YAML 1.1 parser) and compares the value with doc's.
func roundTrip(t *testing.T, doc []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := YAML(&b, doc); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	back, err := yaml.YAMLToJSON(b.Bytes())
	if err != nil {
		t.Fatalf("parsing the YAML back: %v\n%s", err, b.String())
	}
	var want, got any
	if err := json.Unmarshal(doc, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(back, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("YAML read back differs (-json +yaml):\n%s\nYAML:\n%s", diff, b.String())
	}
	return b.String()
}

func TestYAMLRoundTrip(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, `"yes"`, `null`, `12`,
		`{"a":{},"b":[],"c":null,"d":true,"e":1.5e+21,"f":-0.25,"g":18446744073709551615}`,
		`{"words":["yes","No","on","OFF","y","n","~","null","Null","true","1","0x1f","1:20","2024-11-25","1e3",".inf","-","- a","a: b","a #b","#c","",""," lead","trail ","@x","!tag","&a","*a","|","\u003e","%x","{x}","[x]","a,b","'q'","\"q\""]}`,
		`{"ctl":"bell\u0007 esc\u001b[31m nel\u0085 ls\u2028 ps\u2029 bom\ufeff tab\t nl\n cr\r del\u007f c1\u009b","u":"\ud83d\ude00 Grüße"}`,
		`{"list":[[1,[2,[]]],[{"a":[{"b":{}}]}],{}],"yes":{"no":{"on":1}},"":0,"a: b":1,"#":2}`,
		`{"` + strings.Repeat("k", 1100) + `":{"x":1},"` + strings.Repeat("é", 600) + `":[1]}`,
	} {
		roundTrip(t, []byte(doc))
	}
	for _, name := range []string{"healthy.json", "troubled.json"} {
		doc, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, doc)
	}
}

// TestYAMLReadable: names, paths and versions stay unquoted, so the
// YAML reads as the indented outline it replaces.
func TestYAMLReadable(t *testing.T) {
	got := roundTrip(t, []byte(`{"host":{"hostname":"node-a17","os":{"pretty_name":"Debian GNU/Linux 12 (bookworm)","version_id":"12"},"units":[{"name":"getty@tty1.service","path":"/lib/systemd/system/getty@.service"}],"quiet":""}}`))
	want := `host:
  hostname: node-a17
  os:
    pretty_name: Debian GNU/Linux 12 (bookworm)
    version_id: "12"
  units:
    - name: getty@tty1.service
      path: /lib/systemd/system/getty@.service
  quiet: ""
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzYAML: any string, as a key or a value, at any depth, reads back as
// itself.
func FuzzYAML(f *testing.F) {
	for _, s := range []string{"", "yes", "a: b", "- x", "<b>&\"'", "\xff\xfe", "\u2028", "1e3", strings.Repeat("x", 1200)} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		doc, err := json.Marshal(map[string]any{k: []any{v, map[string]string{v: k}}, "v": v})
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, doc)
	})
}
