package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/dmi/dmidecode"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// dumpSecrets returns the serial numbers, UUIDs and asset tags that Debian's
// dmidecode printed for a dump of the corpus (its .dmidecode.txt), leaving
// out placeholders and values too short to tell from other text.
func dumpSecrets(t *testing.T, bin string) []string {
	t.Helper()
	b, err := os.ReadFile(strings.TrimSuffix(bin, ".bin") + ".dmidecode.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(l), ": ")
		v = strings.TrimSpace(v)
		switch name {
		case "Serial Number", "Asset Tag", "UUID", "SBDS Serial Number", "Enclosure Serial":
		default:
			continue
		}
		if !ok || len(v) < 4 || dmi.IsPlaceholder(v) || strings.Trim(v, v[:1]) == "" ||
			v == "Not Present" || v == "Not Settable" || v == dmi.BadIndex || strings.HasPrefix(v, "Unknown") {
			continue
		}
		out = append(out, v)
	}
	return out
}

func runBootinfo(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// TestDMICommandWithholdsSerials: `bootinfo dmi --no-collector.dmi.serials`
// prints none of the serial numbers, UUIDs and asset tags dmidecode prints
// for each dump of the corpus, in text, JSON and every -s keyword, and
// refuses the outputs that exist to print them. Without the flag the same
// outputs hold them, so the scan finds what it looks for.
func TestDMICommandWithholdsSerials(t *testing.T) {
	dumps, err := filepath.Glob(filepath.Join(testutil.Shared(t, "smbios", "dumps"), "*.bin"))
	if err != nil || len(dumps) == 0 {
		t.Fatalf("no dumps: %v", err)
	}
	var secrets, seenOpen, outputs int
	for _, d := range dumps {
		want := dumpSecrets(t, d)
		secrets += len(want)
		var withheld, open []string
		for _, extra := range [][]string{{"--format=text"}, {"--format=json"}} {
			args := append([]string{"dmi", "--from-dump", d}, extra...)
			_, out, errOut := runBootinfo(append(args, "--no-collector.dmi.serials")...)
			withheld = append(withheld, out, errOut)
			_, out, _ = runBootinfo(args...)
			open = append(open, out)
		}
		if !strings.Contains(withheld[2], `"serials_withheld": true`) {
			t.Errorf("%s: JSON does not say serials are withheld", filepath.Base(d))
		}
		for _, kw := range dmidecode.Keywords() {
			code, out, errOut := runBootinfo("dmi", "--from-dump", d, "-s", kw, "--no-collector.dmi.serials")
			if dmidecode.WithheldKeyword(kw) && (code != 1 || out != "" || !strings.Contains(errOut, "withholds")) {
				t.Errorf("%s: -s %s: exit %d, %q, %q; want a refusal", filepath.Base(d), kw, code, out, errOut)
			}
			withheld = append(withheld, out, errOut)
			_, out, _ = runBootinfo("dmi", "--from-dump", d, "-s", kw)
			open = append(open, out)
		}
		outputs += len(withheld)
		all, allOpen := strings.Join(withheld, "\n"), strings.Join(open, "\n")
		for _, s := range want {
			if strings.Contains(all, s) {
				t.Errorf("%s: withheld output holds %q", filepath.Base(d), s)
			}
			if strings.Contains(allOpen, s) {
				seenOpen++
			}
		}
	}
	for _, args := range [][]string{{"--dump"}, {"--dump-bin", filepath.Join(t.TempDir(), "out.bin")}} {
		code, out, errOut := runBootinfo(append([]string{"dmi", "--from-dump", dumps[0], "--no-collector.dmi.serials"}, args...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, "serial numbers included") {
			t.Errorf("dmi %v withheld: exit %d, %q, %q; want a refusal", args, code, out, errOut)
		}
	}
	if secrets < 100 || seenOpen != secrets {
		t.Errorf("%d serials in the dumps, %d found in the open outputs: the scan is too weak", secrets, seenOpen)
	}
	t.Logf("%d dumps, %d serials, UUIDs and asset tags absent from %d withheld outputs", len(dumps), secrets, outputs)
}

// TestDMICommandFromDumpHostile: --from-dump of a FIFO, a character device
// or a file larger than hostfile.LimitFirmware fails at once with a message
// naming the file, instead of blocking or reading it whole.
func TestDMICommandFromDumpHostile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for path, want := range map[string]string{fifo: "named pipe", "/dev/zero": "character device", big: "limit"} {
		code, out, errOut := runBootinfo("dmi", "--from-dump", path)
		if code != 1 || out != "" || !strings.Contains(errOut, path) || !strings.Contains(errOut, want) {
			t.Errorf("--from-dump %s: exit %d, %q, %q; want an error naming it (%s)", path, code, out, errOut, want)
		}
	}
	if _, err := os.Stat(fifo); errors.Is(err, os.ErrNotExist) {
		t.Error("fifo removed")
	}
}
