package grub

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMultibootModules(t *testing.T) {
	cfg, _ := ParseConfig([]byte("menuentry xen { multiboot2 /xen.gz dom0_mem=1G; module2 /vmlinuz-6 root=/dev/sda1 ro; module2 --nounzip /initrd-6; }\n"), ConfigOptions{})
	want := []Module{{"/vmlinuz-6", "root=/dev/sda1 ro"}, {"/initrd-6", ""}}
	if diff := cmp.Diff(want, cfg.Entries[0].Modules); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
	if k := cfg.Entries[0].LinuxKernel(); k != "/vmlinuz-6" {
		t.Errorf("LinuxKernel = %q", k)
	}
}

// synthMenu is a menu with a submenu, ids on every entry and a '>' in a
// title, as grub-mkconfig writes one: entries pass $menuentry_id_option.
const synthMenu = `menuentry 'First' $menuentry_id_option first { linux /vmlinuz-1 }
submenu 'More' $menuentry_id_option more {
  menuentry 'Second' $menuentry_id_option second { linux /vmlinuz-2 }
  menuentry 'A>B' $menuentry_id_option third { linux /vmlinuz-3 }
}
menuentry 'Last' $menuentry_id_option last { linux /vmlinuz-4 }
`

// synthConfig is synthMenu after the header grub-mkconfig itself wrote
// for the Debian fixture (its 00_header: grubenv, next_entry, the
// menuentry_id_option feature test, the recordfail timeout), with the
// default it sets when there is no next_entry replaced by def.
func synthConfig(t testing.TB, def string) []byte {
	t.Helper()
	data := mkconfigFixture(t, "debian.cfg")
	const begin, end = "### BEGIN /etc/grub.d/00_header ###\n", "### END /etc/grub.d/00_header ###\n"
	_, rest, ok1 := strings.Cut(string(data), begin)
	hdr, _, ok2 := strings.Cut(rest, end)
	const literal = `set default="0"`
	if !ok1 || !ok2 || strings.Count(hdr, literal) != 1 {
		t.Fatal("debian.cfg: no 00_header with one literal default")
	}
	return []byte(strings.Replace(hdr, literal, `set default="`+def+`"`, 1) + synthMenu)
}

func envOf(kv ...string) *Env {
	e := &Env{Vars: []EnvVar{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Vars = append(e.Vars, EnvVar{kv[i], kv[i+1]})
	}
	return e
}

func TestResolveGRUB(t *testing.T) {
	tests := []struct {
		name     string
		def      string
		env      *Env
		kernel   string
		source   string
		fallback bool
		timeout  int
	}{
		{"index", "2", nil, "/vmlinuz-4", "default", false, 5},
		{"hex index", "0x2", nil, "/vmlinuz-4", "default", false, 5},
		{"submenu index path", "1>1", nil, "/vmlinuz-3", "default", false, 5},
		{"submenu alone boots its first entry", "1", nil, "/vmlinuz-2", "default", false, 5},
		{"title", "Last", nil, "/vmlinuz-4", "default", false, 5},
		{"id", "last", nil, "/vmlinuz-4", "default", false, 5},
		{"id path", "more>second", nil, "/vmlinuz-2", "default", false, 5},
		{"escaped > in title", "More>A>>B", nil, "/vmlinuz-3", "default", false, 5},
		{"mixed path", "1>third", nil, "/vmlinuz-3", "default", false, 5},
		{"out of range", "9", nil, "/vmlinuz-1", "default", true, 5},
		{"unknown title", "Nope", nil, "/vmlinuz-1", "default", true, 5},
		{"bad path inside submenu", "1>7", nil, "/vmlinuz-2", "default", true, 5},
		{"saved", "${saved_entry}", envOf("saved_entry", "more>second"), "/vmlinuz-2", "saved_entry", false, 5},
		{"saved unset", "${saved_entry}", envOf(), "/vmlinuz-1", "saved_entry", true, 5},
		{"next_entry beats default", "0", envOf("next_entry", "last", "saved_entry", "first"), "/vmlinuz-4", "next_entry", false, 5},
		{"next_entry beats saved", "${saved_entry}", envOf("saved_entry", "first", "next_entry", "1>1"), "/vmlinuz-3", "next_entry", false, 5},
		{"recordfail from grubenv", "0", envOf("recordfail", "1"), "/vmlinuz-1", "default", false, 30},
		{"empty next_entry ignored", "2", envOf("next_entry", ""), "/vmlinuz-4", "default", false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(synthConfig(t, tt.def), ConfigOptions{Env: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			r := Resolve(cfg, LoaderVars{})
			if r.Entry == nil {
				t.Fatalf("nothing resolved: %s", r.Reason)
			}
			got := []any{r.Entry.Kernel, r.Source, r.Fallback, *cfg.Timeout}
			want := []any{tt.kernel, tt.source, tt.fallback, tt.timeout}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("-want +got:\n%s\nreason: %s", diff, r.Reason)
			}
			if len(cfg.Warnings) != 0 {
				t.Errorf("warnings: %q", cfg.Warnings)
			}
		})
	}
}

func TestResolveUnresolved(t *testing.T) {
	src := "if keystatus --shift; then set default=1; else set default=0; fi\nmenuentry a { linux /a }\nmenuentry b { linux /b }\n"
	cfg, err := ParseConfig([]byte(src), ConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultFrom != "unresolved" {
		t.Errorf("DefaultFrom = %q", cfg.DefaultFrom)
	}
	r := Resolve(cfg, LoaderVars{})
	if r.Entry != nil || r.Source != "unresolved" {
		t.Errorf("resolved %+v", r)
	}
	if len(cfg.Warnings) == 0 {
		t.Error("no warning about the unresolved default")
	}
	// Both branches agreeing is not a guess.
	cfg, _ = ParseConfig([]byte("if keystatus; then set default=1; else set default=1; fi\nmenuentry a { linux /a }\nmenuentry b { linux /b }\n"), ConfigOptions{})
	if r := Resolve(cfg, LoaderVars{}); r.Entry == nil || r.Entry.Kernel != "/b" {
		t.Errorf("agreeing branches: %+v", r)
	}
}

func TestScriptErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		err  error
		n    int // entries still parsed
	}{
		{"unterminated quote", "menuentry a { linux /a }\nmenuentry 'b { linux /b }\n", ErrMalformed, 1},
		{"unclosed block", "menuentry a { linux /a }\nmenuentry b { linux /b\n", ErrMalformed, 2},
		{"stray fi", "fi\nmenuentry a { linux /a }\n", ErrMalformed, 1},
		{"if without fi", "menuentry a { linux /a }\nif true; then\n", ErrMalformed, 1},
		{"deep nesting", strings.Repeat("if true; then\n", 200) + "menuentry a { linux /a }\n", ErrTooComplex, 0},
		{"deep blocks", strings.Repeat("submenu s {\n", 200), ErrTooComplex, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.src), ConfigOptions{})
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
			if cfg == nil || len(cfg.Entries) != tt.n {
				t.Errorf("entries %v, want %d", cfg, tt.n)
			}
		})
	}
}
