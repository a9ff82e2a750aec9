package dmidecode

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
)

// oracleSecrets reads the serial numbers, UUIDs and asset tags out of what
// Debian's dmidecode printed for a dump: the values of the withheld fields,
// leaving out placeholders and values too short to tell from other text.
func oracleSecrets(oracle string) []string {
	var out []string
	for _, l := range strings.Split(oracle, "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(l), ": ")
		v = strings.TrimSpace(v)
		if !ok || !withheldFields[name] || len(v) < 4 || dmi.IsPlaceholder(v) || oneRune(v) ||
			v == "Not Present" || v == "Not Settable" || v == dmi.BadIndex || strings.HasPrefix(v, "Unknown") {
			continue
		}
		out = append(out, v)
	}
	return out
}

// TestWriteWithholdSerials: over every dump of the corpus, the text output
// with WithholdSerials holds none of the serial numbers, UUIDs and asset
// tags that dmidecode itself prints for the dump, shows Withheld in every
// such field, and differs from the open output in no other line.
func TestWriteWithholdSerials(t *testing.T) {
	var dumps, secrets, fields int
	for _, p := range dmitest.Dumps(t) {
		name := strings.TrimSuffix(filepath.Base(p), ".bin")
		oracle := string(dmitest.ReadFile(t, strings.TrimSuffix(p, ".bin")+".dmidecode.txt"))
		want := oracleSecrets(oracle)
		open, _ := render(t, p, Options{})
		withheld, _ := render(t, p, Options{WithholdSerials: true})
		for _, s := range want {
			if !strings.Contains(open, s) {
				t.Errorf("%s: open output lacks %q, which dmidecode prints", name, s)
			}
			if strings.Contains(withheld, s) {
				t.Errorf("%s: withheld output holds %q", name, s)
			}
		}
		ol, wl := strings.Split(open, "\n"), strings.Split(withheld, "\n")
		if len(ol) != len(wl) {
			t.Errorf("%s: %d lines withheld, %d open", name, len(wl), len(ol))
			continue
		}
		for i := range ol {
			if ol[i] == wl[i] {
				continue
			}
			if !strings.Contains(wl[i], Withheld) {
				t.Errorf("%s: line %d changed without withholding: %q -> %q", name, i, ol[i], wl[i])
			}
			if n, _, _ := strings.Cut(strings.TrimSpace(ol[i]), ": "); withheldFields[n] {
				fields++
			}
		}
		dumps++
		secrets += len(want)
	}
	if dumps < 50 || secrets < 100 {
		t.Fatalf("%d dumps with %d secrets: too few to test withholding", dumps, secrets)
	}
	t.Logf("%d dumps: %d serials, UUIDs and asset tags withheld, %d fields", dumps, secrets, fields)
}

// TestWriteWithholdKeywords: -s keywords that print a serial fail with
// ErrWithheld, the others print no serial; the hex dump fails.
func TestWriteWithholdKeywords(t *testing.T) {
	checked := 0
	for _, path := range dmitest.Dumps(t) {
		tb, _ := dmi.ParseDumpBin(dmitest.ReadFile(t, path))
		secrets := Serials(tb)
		for _, kw := range Keywords() {
			var buf bytes.Buffer
			err := Write(&buf, Source{Table: tb}, Options{String: kw, WithholdSerials: true})
			if WithheldKeyword(kw) {
				if !errors.Is(err, ErrWithheld) || buf.Len() != 0 {
					t.Errorf("%s: -s %s = %v, %q; want ErrWithheld and nothing", filepath.Base(path), kw, err, buf.String())
				}
				open, _ := String(tb, kw)
				for _, s := range secrets {
					if strings.Contains(open, s) {
						checked++
					}
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: -s %s: %v", filepath.Base(path), kw, err)
			}
			for _, s := range secrets {
				if strings.Contains(buf.String(), s) {
					t.Errorf("%s: -s %s prints %q", filepath.Base(path), kw, s)
				}
			}
		}
		var buf bytes.Buffer
		if err := Write(&buf, Source{Table: tb}, Options{Dump: true, WithholdSerials: true}); !errors.Is(err, ErrWithheld) {
			t.Errorf("%s: dump = %v, want ErrWithheld", filepath.Base(path), err)
		}
	}
	if checked < 50 {
		t.Errorf("only %d serials printed by the withheld keywords: the check is too weak", checked)
	}
}

// TestRedactWriterSplitLines: a secret split across writes is still
// replaced.
func TestRedactWriterSplitLines(t *testing.T) {
	var out bytes.Buffer
	w := &redactWriter{w: &out, redact: NewRedacter([]string{"SECRET-123"})}
	for _, part := range []string{"\tSerial: SEC", "RET-", "123\n\tOther: x SECRET-1", "23"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "\tSerial: <WITHHELD>\n\tOther: x <WITHHELD>"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
