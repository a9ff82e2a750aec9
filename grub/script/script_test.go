package script

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// run runs src and its menu, and returns the menu, the warnings and the
// error.
func run(src string, opts Options) (*Menu, []string, error) {
	var warnings []string
	opts.Warn = func(msg string) { warnings = append(warnings, msg) }
	r := Start([]byte(src), opts)
	menu := r.Menu()
	return menu, warnings, r.Err()
}

// entrySummary is the part of an Entry the language tests compare.
type entrySummary struct {
	Path                    []int
	Title, ID, Kernel, Args string
	Initrd                  []string
}

func summarise(es []Entry) []entrySummary {
	var out []entrySummary
	for _, e := range es {
		out = append(out, entrySummary{e.Path, e.Title, e.ID, e.Kernel, e.Args, e.Initrd})
	}
	return out
}

func TestScriptLanguage(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []entrySummary
	}{
		{
			name: "quotes escapes and continuation",
			src: "menuentry 'It'\\''s \"here\"' \"a \\$b \\\\ c\" {\n" +
				"  linux /vmlinuz a=\"x y\" b=it\\'s \\\n   c=3 # comment\n" +
				"  initrd /i1 \\\n /i2\n}\n",
			want: []entrySummary{{[]int{0}, `It's "here"`, "", "/vmlinuz", `"a=x y" b=it\'s c=3`, []string{"/i1", "/i2"}}},
		},
		{
			name: "variables expand statically, unquoted values split",
			src: "set opts='quiet splash'\nset k=vmlinuz-6\nset empty=\n" +
				"menuentry \"T $k\" --id=\"id-${k}\" { linux /$k $opts $empty \"$empty\" x$opts; }\n",
			// The quoted empty word stays an (empty) argument: two blanks.
			want: []entrySummary{{[]int{0}, "T vmlinuz-6", "id-vmlinuz-6", "/vmlinuz-6", "quiet splash  xquiet splash", nil}},
		},
		{
			// $1 is the title, $2 the first argument after it, $# counts
			// the title too: GRUB 2.06 (i386-pc, from grub-mkrescue,
			// under SeaBIOS) echoes "$1 $2 $3 $# $@" in the body of
			// menuentry 'Top A' extra1 extra2 as "Top A extra1 extra2 3
			// Top A extra1 extra2"; e2e/grub_test.go boots such an entry.
			name: "menuentry_id_option and --class skipped, positional args",
			src: "if [ x\"${feature_menuentry_id}\" = xy ]; then\n menuentry_id_option=\"--id\"\nelse\n menuentry_id_option=\"\"\nfi\n" +
				"menuentry 'A' --class a --class b --unrestricted $menuentry_id_option 'id-a' extra {\n linux16 /k $1 $2 n=$# $3\n initrd16 /i\n}\n",
			want: []entrySummary{{[]int{0}, "A", "id-a", "/k", "A extra n=2", []string{"/i"}}},
		},
		{
			name: "nested submenus and semicolons",
			src: "menuentry a { linux /a; }; submenu s1 --id s1 { menuentry b { linuxefi /b; initrdefi /ib; }\n" +
				" submenu s2 { menuentry c { linux /c; } } }\nmenuentry d { chainloader +1; }\n",
			want: []entrySummary{
				{[]int{0}, "a", "", "/a", "", nil},
				{[]int{1, 0}, "b", "", "/b", "", []string{"/ib"}},
				{[]int{1, 1, 0}, "c", "", "/c", "", nil},
				{[]int{2}, "d", "", "+1", "", nil},
			},
		},
		{
			name: "runtime variables stay symbolic",
			src:  "menuentry x { search --set=root --fs-uuid 1234; linux ($root)/vmlinuz root=$bootdev }\n",
			want: []entrySummary{{[]int{0}, "x", "", "(${root})/vmlinuz", "root=", nil}},
		},
		{
			name: "xen multiboot",
			src:  "menuentry xen { multiboot2 /xen.gz dom0_mem=1G; module2 /vmlinuz-6 root=/dev/sda1 ro; module2 --nounzip /initrd-6; }\n",
			want: []entrySummary{{[]int{0}, "xen", "", "/xen.gz", "dom0_mem=1G", nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			menu, warnings, err := run(tt.src, Options{})
			if err != nil {
				t.Fatalf("%v %q", err, warnings)
			}
			if diff := cmp.Diff(tt.want, summarise(menu.Entries)); diff != "" {
				t.Errorf("-want +got:\n%s\nwarnings %q", diff, warnings)
			}
		})
	}
}

func TestEFIStubConfigfile(t *testing.T) {
	src := "search.fs_uuid 0b4d1a2c-1111-2222-3333-444455556666 root hd0,gpt2\nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n"
	menu, _, err := run(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if menu.ConfigFile != "(${root})/boot/grub/grub.cfg" || len(menu.Entries) != 0 {
		t.Errorf("ConfigFile %q, %d entries", menu.ConfigFile, len(menu.Entries))
	}
}

func TestValueExplosionBounded(t *testing.T) {
	src := "set a=xxxxxxxxxxxxxxxx\n" + strings.Repeat("set a=$a$a$a$a\n", 40) + "menuentry \"$a\" { linux /k $a }\n"
	menu, _, _ := run(src, Options{})
	for _, e := range menu.Entries {
		if len(e.Title) > MaxValueLen+16 || len(e.Args) > 2*MaxValueLen+16 {
			t.Errorf("unbounded expansion: title %d bytes, args %d", len(e.Title), len(e.Args))
		}
	}
}

// TestTestConnectives checks -o, -a and ! in three values: an operand
// that depends on boot-time state ($root) is unknown, and only an operand
// that decides the connective makes the result known.
func TestTestConnectives(t *testing.T) {
	const yes, no, unknown = "y", "n", "${r}"
	tests := map[string]string{
		"a = a -o a = b":          yes,
		"a = b -o a = b":          no,
		"a = b -o $root = x":      unknown,
		"$root = x -o a = a":      yes,
		"a = a -a a = b":          no,
		"a = a -a a = a":          yes,
		"a = a -a $root = x":      unknown,
		"$root = x -a a = b":      no,
		"a = b -o a = a -a a = b": no,
		"a = a -o a = b -a a = b": yes,
		"! a = b":                 yes,
		"! $root = x":             unknown,
		"! ( a = b -o a = a )":    no,
		"-n a -a -z '' -o a != a": yes,
	}
	for cond, want := range tests {
		r := Start([]byte("if [ "+cond+" ]; then set r=y; else set r=n; fi\n"), Options{})
		got, _ := r.Var("r")
		if got.Text != want {
			t.Errorf("[ %s ]: r=%q, want %q", cond, got.Text, want)
		}
	}
}

// TestSearchSetsUnknown checks which variables a search command leaves
// known only at boot time.
func TestSearchSetsUnknown(t *testing.T) {
	tests := map[string][]string{
		"search --set dev --fs-uuid 1234":    {"dev"},
		"search --fs-uuid 1234 -s":           {"root"},
		"search -s --fs-uuid 1234":           {"root"},
		"search --set=dev --label boot":      {"dev"},
		"search.fs_uuid 1234 dev hd0,gpt2":   {"dev"},
		"search.file /boot/vmlinuz":          {},
		"search --no-floppy --set dev a b c": {"dev"},
	}
	for src, want := range tests {
		r := Start([]byte("set dev=d root=r\n"+src+"\n"), Options{})
		var got []string
		for _, name := range []string{"dev", "root"} {
			if v, _ := r.Var(name); !v.Known {
				got = append(got, name)
			}
		}
		if len(got) != len(want) || (len(got) > 0 && got[0] != want[0]) {
			t.Errorf("%s: unknown %q, want %q", src, got, want)
		}
	}
}
