package fault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"golang.org/x/sys/unix"
)

// The boot loader collector's reproductions of issue 13 (items 1, 3 and 4),
// against the real binary.

// maxRSS is the resident memory the agent must stay below, whatever its
// files hold (issue 13, "Done when").
const maxRSS = 100 << 20

// bootloaderSection fetches /bootinfo/bootloader, which must answer 200,
// and returns its entries' titles and its errors.
func bootloaderSection(t *testing.T, a *agent.Agent) (titles []string, errs map[string]string, rebootRequired bool) {
	t.Helper()
	code, body, err := get(newClient(), a.Base+"/bootinfo/bootloader")
	if err != nil || code != http.StatusOK {
		t.Fatalf("/bootinfo/bootloader: %d %v %.300s", code, err, body)
	}
	var s struct {
		Entries        []struct{ Title string }
		Errors         map[string]string
		RebootRequired bool `json:"reboot_required"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("/bootinfo/bootloader: %v", err)
	}
	for _, e := range s.Entries {
		titles = append(titles, e.Title)
	}
	return titles, s.Errors, s.RebootRequired
}

// serving checks that the agent is alive, answers /healthz, and stayed
// below maxRSS.
func serving(t *testing.T, a *agent.Agent) {
	t.Helper()
	if err := a.Alive(); err != nil {
		t.Fatalf("agent: %v\n%s", err, a.Output.String())
	}
	if code, _, err := get(newClient(), a.Base+"/healthz"); err != nil || code != http.StatusOK {
		t.Errorf("/healthz: %d %v", code, err)
	}
	r, err := a.Resources()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak resident memory %.1f MiB", float64(r.PeakRSS)/(1<<20))
	if r.PeakRSS > maxRSS {
		t.Errorf("peak resident memory %d bytes, want below %d", r.PeakRSS, maxRSS)
	}
}

// TestBootloaderFIFOConfig is item 3's reproduction: with
// R/boot/grub/grub.cfg a FIFO, /bootinfo/bootloader answered 504 for good,
// even after the FIFO was replaced by a valid file. It must answer with the
// error naming the file, and the collection after the replacement must
// succeed.
func TestBootloaderFIFOConfig(t *testing.T) {
	root := fixtureRoot(t)
	cfg := filepath.Join(root, "boot", "grub", "grub.cfg")
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	removed(t, cfg)
	if err := syscall.Mkfifo(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	a := start(t, root)
	_, errs, _ := bootloaderSection(t, a)
	if e := errs["config"]; !strings.Contains(e, cfg) || !strings.Contains(e, "named pipe") {
		t.Errorf("errors %v, want config naming %s as a named pipe", errs, cfg)
	}
	write(t, cfg, good)
	testutil.WaitFor(t, "the boot loader section without errors", func() error {
		titles, errs, _ := bootloaderSection(t, a)
		if len(errs) != 0 || len(titles) == 0 {
			return fmt.Errorf("%d entries, errors %v", len(titles), errs)
		}
		return nil
	}, a.Process)
	serving(t, a)
	noPanic(t, "agent", a)
}

// TestBootloaderRebootPackagesDevZero is item 1's reproduction: with
// R/run/reboot-required present, `ln -s /dev/zero R/run/reboot-required.pkgs`
// made serve die out of memory within seconds. The link resolves inside the
// root; a character device found there is refused without reading it.
func TestBootloaderRebootPackagesDevZero(t *testing.T) {
	for _, device := range []bool{false, true} {
		name := "link to the host's /dev/zero"
		if device {
			name = "the root's own /dev/zero"
		}
		t.Run(name, func(t *testing.T) {
			if device {
				needRoot(t)
			}
			root := fixtureRoot(t)
			write(t, filepath.Join(root, "run", "reboot-required"), []byte("*** System restart required ***\n"))
			if err := os.Symlink("/dev/zero", filepath.Join(root, "run", "reboot-required.pkgs")); err != nil {
				t.Fatal(err)
			}
			if device {
				if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Mknod(filepath.Join(root, "dev", "zero"), syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 5))); err != nil {
					t.Fatal(err)
				}
			}
			a := start(t, root)
			_, errs, reboot := bootloaderSection(t, a)
			if !reboot {
				t.Error("reboot_required is false")
			}
			e := errs["reboot_required_packages"]
			if device && (!strings.Contains(e, "reboot-required.pkgs") || !strings.Contains(e, "character device")) {
				t.Errorf("errors %v, want reboot_required_packages naming the character device", errs)
			}
			if !device && e != "" {
				t.Errorf("errors %v: no /dev/zero below the root, so no list", errs)
			}
			a.Metrics(t)
			serving(t, a)
		})
	}
}

// costlyGrubCfg is item 4's file: one set with 200,000 assignments, then
// 16 nested undecided ifs around 3,000 if/else blocks, about 2 MB.
func costlyGrubCfg() []byte {
	var b strings.Builder
	b.WriteString("set")
	for i := 0; i < 200000; i++ {
		b.WriteString(" a" + strconv.Itoa(i) + "=x")
	}
	b.WriteString("\n")
	for i := 0; i < 16; i++ {
		b.WriteString("if [ $root = x" + strconv.Itoa(i) + " ]; then\n")
	}
	for i := 0; i < 3000; i++ {
		b.WriteString("if [ $root = y ]; then set b=1; else set b=2; fi\n")
	}
	for i := 0; i < 16; i++ {
		b.WriteString("fi\n")
	}
	return []byte(b.String())
}

// TestBootloaderCostlyConfig is item 4's reproduction: the 2 MB grub.cfg
// kept 1.4 cores busy for minutes, past every collector deadline. The
// section must answer with "too complex" naming the limit reached, and the
// agent stay below maxRSS.
func TestBootloaderCostlyConfig(t *testing.T) {
	root := fixtureRoot(t)
	write(t, filepath.Join(root, "boot", "grub", "grub.cfg"), costlyGrubCfg())
	a := start(t, root)
	_, errs, _ := bootloaderSection(t, a)
	if e := errs["config"]; !strings.Contains(e, "too complex") || !strings.Contains(e, "limit") {
		t.Errorf("errors %v, want config saying too complex and naming the limit", errs)
	}
	for i := 0; i < 3; i++ {
		a.Metrics(t)
		bootloaderSection(t, a)
	}
	serving(t, a)
	noPanic(t, "agent", a)
}
