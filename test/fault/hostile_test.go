package fault

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// maxPeakRSS is the resident memory the agent must stay under whatever a
// host file holds.
const maxPeakRSS = 100 << 20

// hostileKinds replace a file with what a broken or hostile host has where
// that file should be: a FIFO nobody writes (a blocked open), the /dev/zero
// device (an endless read), a 1 GiB sparse file (a runaway log), and a
// symbolic link that climbs out of the root to /dev/zero (a rescue-mounted
// disk whose links mean paths of its own root).
var hostileKinds = []struct {
	name string
	do   func(*testing.T, string)
	says string // what the collector's report must say, "" when the file may then simply be missing
}{
	{"fifo", func(t *testing.T, p string) {
		removed(t, p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}, "named pipe"},
	{"devzero", func(t *testing.T, p string) {
		removed(t, p)
		mknod(t, p, 1, 5)
	}, "character device"},
	{"huge", func(t *testing.T, p string) {
		removed(t, p)
		f, err := os.Create(p)
		if err == nil {
			err = f.Truncate(1 << 30)
			f.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
	}, "limit"},
	{"escape", func(t *testing.T, p string) {
		removed(t, p)
		if err := os.Symlink(strings.Repeat("../", 16)+"dev/zero", p); err != nil {
			t.Fatal(err)
		}
	}, ""},
}

// hostileFiles are the files broken one at a time: every file the fixture
// tests break, plus those only a full host has.
func hostileFiles() []string {
	return append(append([]string{}, mutatedFiles...),
		"run/reboot-required.pkgs", "boot/grub/grubenv", "boot/initrd.img-6.1.0-27-amd64")
}

// hostileRoot is fixtureRoot with a pending reboot and a grubenv, so that
// their files are read too.
func hostileRoot(t *testing.T) string {
	root := fixtureRoot(t)
	write(t, filepath.Join(root, "run", "reboot-required"), []byte("*** System restart required ***\n"))
	write(t, filepath.Join(root, "run", "reboot-required.pkgs"), []byte("linux-image-amd64\n"))
	env := "# GRUB Environment Block\nsaved_entry=0\n"
	write(t, filepath.Join(root, "boot", "grub", "grubenv"), []byte(env+strings.Repeat("#", 1024-len(env))))
	return root
}

// TestHostileFilesAtStart starts an agent on a fixture root with one file
// made hostile, for every file and kind: the agent serves /healthz, then
// /metrics and every section; the collector that reads the file says what
// is wrong with it; every other collector is served; nothing panics; and
// the agent's peak resident memory stays under 100 MiB.
func TestHostileFilesAtStart(t *testing.T) {
	needRoot(t)
	for _, f := range hostileFiles() {
		for _, k := range hostileKinds {
			name := k.name + " " + f
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				root := hostileRoot(t)
				k.do(t, filepath.Join(root, f))
				a := start(t, root)
				ms, d := scrapeOnce(t, a)
				own := owner(f)
				mayFail := func(c string) bool { return c == own || (c == "history" && historyReads(f)) }
				for _, c := range fixtureStable {
					if mayFail(c) {
						continue
					}
					if success(ms, c) != 1 {
						t.Errorf("%s failed: %s", c, d.Errors[c])
					}
					if code, _, body := a.Get(t, "GET", "/bootinfo/"+c); code != 200 {
						t.Errorf("/bootinfo/%s: %d %s", c, code, body)
					}
				}
				reported := d.Errors[own] + sectionReports(d, own)
				_, quietIfMissing := silent["removed "+f]
				switch {
				case hostileQuiet(f):
				case k.says == "" && reported == "" && !quietIfMissing:
					t.Errorf("%s does not report %s, which is then missing", own, name)
				case k.says != "" && !strings.Contains(reported, k.says):
					t.Errorf("%s reports %q; want it to say %q", own, reported, k.says)
				case k.says != "" && !strings.Contains(reported, filepath.Base(f)):
					t.Errorf("%s reports %q, which does not name %s", own, reported, filepath.Base(f))
				}
				checkPeakRSS(t, a)
				noPanic(t, "agent", a)
			})
		}
	}
}

// sectionReports returns what a section says is wrong besides the
// collector's error: its errors and its warnings.
func sectionReports(d document, section string) string {
	var s struct {
		Errors   map[string]string `json:"errors"`
		Warnings []string          `json:"warnings"`
	}
	_ = json.Unmarshal(d.Sections[section], &s)
	out := ""
	if len(s.Errors) > 0 {
		b, _ := json.Marshal(s.Errors)
		out += string(b)
	}
	return out + strings.Join(s.Warnings, "; ")
}

// historyReads says whether the history collector reads f as well as its
// owner: the boot's identity and time.
func historyReads(f string) bool {
	return strings.HasPrefix(f, "proc/") || strings.HasPrefix(f, "etc/") || strings.HasPrefix(f, "sys/firmware/")
}

// hostileQuiet are files the agent lists but does not read (a kernel or
// initrd image is reported by name), and files whose absence is no fault:
// the package list beside /run/reboot-required is optional, and a grubenv
// the agent cannot read is a warning only when it is there.
func hostileQuiet(f string) bool {
	return strings.HasPrefix(f, "boot/vmlinuz-") || strings.HasPrefix(f, "boot/initrd.img-")
}

func init() {
	silent["removed run/reboot-required.pkgs"] = "the package list is optional"
	silent["removed boot/grub/grubenv"] = "a GRUB without an environment block"
}

func checkPeakRSS(t *testing.T, a *agent.Agent) {
	t.Helper()
	r, err := testutil.ReadResources(a.Cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if r.PeakRSS >= maxPeakRSS {
		t.Errorf("peak resident memory %d MiB, want under %d MiB", r.PeakRSS>>20, maxPeakRSS>>20)
	}
}

// TestHugeGrubCfg serves a 16 MB generated grub.cfg (at the size limit for
// GRUB scripts) and a small one built to be costly to evaluate: the agent
// answers, reports the boot loader's entries or that the script is too
// complex, and stays under 100 MiB.
func TestHugeGrubCfg(t *testing.T) {
	needRoot(t)
	t.Parallel()
	var big strings.Builder
	for i := 0; big.Len() < 16_000_000; i++ {
		fmt.Fprintf(&big, "menuentry 'Debian GNU/Linux, with Linux 6.1.0-%d-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-%d-advanced' {\n\tlinux /boot/vmlinuz-6.1.0-%d-amd64 root=/dev/vda1 ro quiet\n\tinitrd /boot/initrd.img-6.1.0-%d-amd64\n}\n", i, i, i, i)
	}
	var costly strings.Builder
	costly.WriteString("set")
	for i := range 200_000 {
		fmt.Fprintf(&costly, " v%d=x", i)
	}
	costly.WriteString("\n")
	for i := range 16 {
		fmt.Fprintf(&costly, "if [ \"$u%d\" = y ]; then\n", i)
	}
	for i := range 3000 {
		fmt.Fprintf(&costly, "if [ \"$w%d\" = y ]; then set a%d=1; else set b%d=2; fi\n", i, i, i)
	}
	costly.WriteString(strings.Repeat("fi\n", 16))
	for _, tc := range []struct{ name, cfg string }{{"16MB", big.String()}, {"costly", costly.String()}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := hostileRoot(t)
			write(t, filepath.Join(root, "boot", "grub", "grub.cfg"), []byte(tc.cfg))
			a := start(t, root)
			ms, d := scrapeOnce(t, a)
			for _, c := range fixtureStable {
				if c != "bootloader" && success(ms, c) != 1 {
					t.Errorf("%s failed: %s", c, d.Errors[c])
				}
			}
			var sec struct {
				Entries []json.RawMessage `json:"entries"`
				Errors  map[string]string `json:"errors"`
			}
			_ = json.Unmarshal(d.Sections["bootloader"], &sec)
			t.Logf("bootloader: %d entries, errors %v, collector error %q", len(sec.Entries), sec.Errors, d.Errors["bootloader"])
			if len(sec.Entries) == 0 && !strings.Contains(fmt.Sprint(sec.Errors, d.Errors["bootloader"]), "too complex") {
				t.Errorf("the boot loader section neither lists entries nor says the script is too complex")
			}
			if code, _, _ := a.Get(t, "GET", "/healthz"); code != 200 {
				t.Errorf("/healthz: %d", code)
			}
			checkPeakRSS(t, a)
			noPanic(t, "agent", a)
		})
	}
}

// TestHostileFileRecovers breaks grub.cfg of a running agent into a FIFO
// (a read that would block for good) and then restores it: the agent keeps
// answering /healthz and /metrics meanwhile, the boot loader section says
// what is wrong, and it recovers once the file is a file again.
func TestHostileFileRecovers(t *testing.T) {
	needRoot(t)
	t.Parallel() // the boot loader keeps a good snapshot for a minute
	root := hostileRoot(t)
	cfg := filepath.Join(root, "boot", "grub", "grub.cfg")
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := start(t, root)
	scrapeOnce(t, a)
	removed(t, cfg)
	if err := syscall.Mkfifo(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the boot loader to report the FIFO", func() error {
		if code, _, _ := a.Get(t, "GET", "/healthz"); code != 200 {
			t.Fatalf("/healthz: %d", code)
		}
		a.Metrics(t)
		_, d := scrapeOnce(t, a)
		if s := fmt.Sprint(d.Errors["bootloader"], sectionErrors(d, "bootloader")); !strings.Contains(s, "named pipe") {
			return fmt.Errorf("bootloader reports %q", s)
		}
		return nil
	}, a.Process)
	write(t, cfg, good)
	testutil.WaitFor(t, "the boot loader to recover", func() error {
		ms, d := scrapeOnce(t, a)
		if success(ms, "bootloader") != 1 || len(sectionErrors(d, "bootloader")) != 0 {
			return fmt.Errorf("bootloader: success %v, errors %q %v", success(ms, "bootloader"), d.Errors["bootloader"], sectionErrors(d, "bootloader"))
		}
		return nil
	}, a.Process)
	checkPeakRSS(t, a)
	noPanic(t, "agent", a)
}
