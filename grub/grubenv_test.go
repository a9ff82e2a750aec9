package grub

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// grubEditenv runs Debian's grub-editenv (package grub-common), the oracle
// for every grubenv.
func grubEditenv(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("grub-editenv")
	if err != nil {
		testutil.SkipOrFail(t, "grub-editenv (package grub-common) not installed")
	}
	out, err := exec.Command(bin, args...).Output()
	return string(out), err
}

func grubenvFiles(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join(testutil.Shared(t, "grub", "grubby"), "grubenv.*"))
	files = append(files, filepath.Join(testutil.Shared(t, "grub", "u-root", "grub", "testdata_new"),
		"CentOS_8_Stream_x86_64_blscfg_sda1", "EFI", "centos", "grubenv"))
	own, _ := filepath.Glob("testdata/grubenv/*")
	return append(files, own...)
}

// TestParseEnvOracle compares ParseEnv with "grub-editenv FILE list" for every
// grubenv in the corpus and every hand-made malformed one.
func TestParseEnvOracle(t *testing.T) {
	files := grubenvFiles(t)
	if len(files) < 10 {
		t.Fatalf("only %d grubenv files", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			env, perr := ParseEnv(data)
			want, oerr := grubEditenv(t, f, "list")
			if oerr != nil {
				// grub-editenv refuses the block: so must we.
				if !errors.Is(perr, ErrMalformed) || len(env.Vars) != 0 {
					t.Errorf("grub-editenv fails (%v) but ParseEnv returned %v, %d vars", oerr, perr, len(env.Vars))
				}
				return
			}
			if diff := cmp.Diff(want, env.List()); diff != "" {
				t.Errorf("grub-editenv list -want +ParseEnv:\n%s", diff)
			}
			wantErr := len(data) != EnvBlockSize
			if wantErr != (perr != nil) && len(data) != EnvBlockSize {
				t.Errorf("size %d: err = %v", len(data), perr)
			}
			if perr != nil && !errors.Is(perr, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", perr)
			}
		})
	}
}

// TestParseEnvMalformed pins the errors for the known-bad blocks.
func TestParseEnvMalformed(t *testing.T) {
	tests := []struct {
		name string
		data string
		vars []EnvVar
	}{
		{"no signature", "# GRUB Environment Blockk\nk=1\n", []EnvVar{}},
		{"signature only, too short", "# GRUB Environment Block\n", []EnvVar{}},
		{"no newline at end", "# GRUB Environment Block\na=1\nk=1", []EnvVar{{"a", "1"}}},
		{"line without =", "# GRUB Environment Block\nfoo\nbar=baz\n", []EnvVar{{"foo\nbar", "baz"}}},
		{"wrong size", "# GRUB Environment Block\nsaved_entry=x\n", []EnvVar{{"saved_entry", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ParseEnv([]byte(tt.data))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
			if diff := cmp.Diff(tt.vars, env.Vars); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

// TestParseEnvRoundTrip creates blocks with grub-editenv (create, set with
// awkward values, unset) and checks ParseEnv reads back what grub-editenv
// lists, with no error for a well-formed block.
func TestParseEnvRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "grubenv")
	if _, err := grubEditenv(t, f, "create"); err != nil {
		t.Fatalf("create: %v", err)
	}
	steps := [][]string{
		{"set", "saved_entry=gnulinux-advanced-1234>gnulinux-6.1.0-13-amd64-advanced-1234"},
		{"set", "next_entry=1>2", "kernelopts=root=UUID=abc ro quiet"},
		{"set", `weird=back\slash = equals # hash`},
		{"set", "multi=line1\nline2"},
		{"set", "empty="},
		{"unset", "next_entry"},
		{"set", "saved_entry=Debian GNU/Linux"},
	}
	for _, s := range steps {
		if _, err := grubEditenv(t, append([]string{f}, s...)...); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		env, err := ParseEnv(data)
		if err != nil {
			t.Errorf("after %v: %v", s, err)
		}
		want, err := grubEditenv(t, f, "list")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, env.List()); diff != "" {
			t.Errorf("after %v: -grub-editenv +ParseEnv:\n%s", s, diff)
		}
		// Encode writes the very bytes grub-editenv wrote.
		enc, err := env.Encode()
		if err != nil || string(enc) != string(data) {
			t.Errorf("after %v: Encode differs from grub-editenv's block (%v)", s, err)
		}
	}
	data, _ := os.ReadFile(f)
	env, _ := ParseEnv(data)
	want := map[string]string{
		"saved_entry": "Debian GNU/Linux", "kernelopts": "root=UUID=abc ro quiet",
		"weird": `back\slash = equals # hash`, "multi": "line1\nline2", "empty": "",
	}
	if diff := cmp.Diff(want, env.Map()); diff != "" {
		t.Errorf("-want +got:\n%s", diff)
	}
}
