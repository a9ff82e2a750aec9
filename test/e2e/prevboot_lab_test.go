package e2e

// Predict, then boot: a guest's first boot runs the agent, makes the
// kernel complain and then ends badly (a panic, a watchdog reset, a kill
// with no warning); its next boot, from the same state disk, must say how
// the first ended and what its kernel said last. The prediction comes from
// the first boot itself: its own dmesg and the checkpoint file. Needs
// scripts/lab-setup with its module set (i6300esb, efi-pstore) and
// mkfs.ext4.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/history"
	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

var (
	pbOutputRE = regexp.MustCompile(`(?s)@@prevboot BEGIN (\S+)\r?\n(.*?)@@prevboot END (\S+)`)
	pbKillRE   = regexp.MustCompile(`@@prevboot KILL ([0-9]+)`)
	// dmesg -r: "<PRIORITY>[   SECONDS] TEXT".
	pbDmesgRE = regexp.MustCompile(`^<([0-9]+)>\[\s*[0-9.]+\] (.*)$`)
)

// pbOutputs decodes the outputs the guest printed, by name.
func pbOutputs(t *testing.T, console []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, m := range pbOutputRE.FindAllSubmatch(console, -1) {
		if !bytes.Equal(m[1], m[3]) {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(m[2])))
		if err != nil {
			t.Fatalf("output %s: %v", m[1], err)
		}
		out[string(m[1])] = b
	}
	return out
}

// pbFiles puts the agent, the lab's modules (as modprobe finds them) and
// the script into the guest.
func pbFiles(t *testing.T, lab *labEnv) []qemulab.File {
	t.Helper()
	if lab.Modules == "" {
		testutil.SkipOrFail(t, "the lab has no module set: run scripts/lab-setup again")
	}
	mods := filepath.Join(lab.Modules, "lib", "modules", lab.KernelRelease)
	for _, m := range []string{"kernel/drivers/watchdog/i6300esb.ko", "kernel/drivers/firmware/efi/efi-pstore.ko"} {
		if _, err := os.Stat(filepath.Join(mods, m)); err != nil {
			testutil.SkipOrFail(t, "the lab's module set lacks %s: run scripts/lab-setup again", m)
		}
	}
	files := []qemulab.File{{Path: "/bin/bootinfo", HostPath: lab.Agent}}
	err := filepath.WalkDir(lab.Modules, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(lab.Modules, p)
		files = append(files, qemulab.File{Path: "/" + filepath.ToSlash(rel), HostPath: p, Mode: 0o644})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// pbDisk makes an empty ext4 state disk.
func pbDisk(t *testing.T) string {
	t.Helper()
	testutil.Tool(t, "mkfs.ext4", "e2fsprogs")
	p := filepath.Join(t.TempDir(), "state.img")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 64<<20); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "", "mkfs.ext4", "-q", "-F", p)
	return p
}

// pbKernelTail returns the text of the last n kernel records at warning or
// worse in a dmesg -r listing, and how many of them match re.
func pbKernelTail(dmesg []byte, n int, re *regexp.Regexp) ([]string, int) {
	var all []string
	count := 0
	for _, l := range strings.Split(string(dmesg), "\n") {
		m := pbDmesgRE.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil {
			continue
		}
		if p, _ := strconv.Atoi(m[1]); p > 4 { // facility 0 (kern), level <= warning
			continue
		}
		all = append(all, m[2])
		if re.MatchString(m[2]) {
			count++
		}
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all, count
}

// TestPreviousBootLab boots a guest twice per way of ending and compares
// what the second boot serves with what the first boot's kernel logged.
func TestPreviousBootLab(t *testing.T) {
	lab := firmwareLab(t)
	files := pbFiles(t, lab)
	cases := []struct {
		scenario string
		firmware qemulab.Firmware
		devices  []string
		kind     string
		state    string
	}{
		// efi-pstore keeps the panic in the EFI variables, which the
		// same run's next boot reads.
		{"crash", qemulab.OVMF, nil, history.KindCrash, history.EndCrashed},
		{"watchdog", qemulab.SeaBIOS, []string{"i6300esb"}, history.KindWatchdog, history.EndUnknown},
		{"kill", qemulab.SeaBIOS, []string{"isa-debug-exit,iobase=0xf4,iosize=0x04"}, history.KindUnknown, history.EndUnknown},
	}
	var table []string
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			disk := pbDisk(t)
			cfg := qemulab.Config{
				Firmware: c.firmware, Devices: c.devices, Disks: []string{disk},
				Files: files, Init: "testdata/prevbootlab/init", Reboot: c.scenario != "kill",
				Append: "console=ttyS0 quiet panic=-1 lab.scenario=" + c.scenario,
			}
			var console []byte
			var killAt time.Time
			if c.scenario == "kill" {
				// isa-debug-exit ends QEMU with status 3 (1<<1 | 1): the
				// machine is gone at once, as if QEMU were killed.
				res, err := lab.Boot(testutil.Context(t), cfg)
				if res == nil || err == nil || !strings.Contains(err.Error(), "exit status 3") {
					t.Fatalf("first boot: %v\n%s", err, consoleOf(res))
				}
				t.Logf("boot prevboot-kill (%v) took %v (QEMU used %v of CPU) after waiting %v for other boots", cfg.Firmware,
					res.Elapsed.Round(time.Millisecond), res.CPU.Round(time.Millisecond), res.Waited.Round(time.Millisecond))
				m := pbKillRE.FindSubmatch(res.Console)
				if m == nil {
					t.Fatalf("the first boot was not killed:\n%s", res.Console)
				}
				sec, _ := strconv.ParseInt(string(m[1]), 10, 64)
				killAt = time.Unix(sec, 0)
				console = append(console, res.Console...)
				res2 := lab.Run(t, "prevboot-kill-next", cfg)
				console = append(console, res2.Console...)
			} else {
				res := lab.Run(t, "prevboot-"+c.scenario, cfg)
				console = res.Console
			}
			out := pbOutputs(t, console)
			for _, name := range []string{"dmesg", "checkpoint", "history", "metrics"} {
				if out[name] == nil {
					t.Fatalf("the guest printed no %s:\n%s", name, console)
				}
			}
			t.Logf("second boot's agent log:\n%s\npstore:\n%s\nwatchdogs:\n%s", out["serve-log"], out["pstore"], out["watchdogs"])

			// The prediction, from the first boot.
			var cp history.Checkpoint
			if err := json.Unmarshal(out["checkpoint"], &cp); err != nil {
				t.Fatalf("checkpoint: %v\n%s", err, out["checkpoint"])
			}
			want, fsErrors := pbKernelTail(out["dmesg"], len(cp.KernelMessages), regexp.MustCompile(`^EXT4-fs error`))
			var got []string
			for _, m := range cp.KernelMessages {
				got = append(got, m.Message)
			}
			if len(got) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("the first boot checkpointed\n%s\nits dmesg ends with\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			// What the second boot serves.
			var sec struct {
				Boots           []history.Record `json:"boots"`
				PreviousBootEnd history.End      `json:"previous_boot_end"`
			}
			if err := json.Unmarshal(out["history"], &sec); err != nil {
				t.Fatalf("history: %v\n%s", err, out["history"])
			}
			e := sec.PreviousBootEnd
			if len(sec.Boots) != 2 || sec.Boots[1].BootID != cp.BootID {
				t.Fatalf("boots %+v, the first boot's checkpoint is of %s", sec.Boots, cp.BootID)
			}
			if e.Kind != c.kind || e.State != c.state {
				t.Errorf("kind %s state %s (%s; %s), want %s %s", e.Kind, e.State, e.KindDetail, e.Detail, c.kind, c.state)
			}
			if e.LastAlive == nil || e.LastAlive.Before(cp.LastAlive) {
				t.Errorf("last_alive %v, the first boot's printed checkpoint %v", e.LastAlive, cp.LastAlive)
			}
			var served []string
			for _, m := range e.LastKernelMessages {
				served = append(served, m.Message)
			}
			if strings.Join(served, "\n") != strings.Join(got, "\n") {
				t.Errorf("served last_kernel_messages\n%s\nthe checkpoint's\n%s", strings.Join(served, "\n"), strings.Join(got, "\n"))
			}
			if e.KernelProblems["fs_error"] != uint64(fsErrors) || fsErrors == 0 {
				t.Errorf("kernel_problems %v; the first boot's dmesg has %d EXT4-fs errors", e.KernelProblems, fsErrors)
			}
			if line := "bootinfo_previous_boot_end_info{kind=\"" + c.kind + "\"} 1\n"; !strings.Contains(string(out["metrics"]), line) {
				t.Errorf("metrics lack %s", line)
			}
			switch c.scenario {
			case "watchdog":
				if len(e.Watchdogs) != 1 || e.Watchdogs[0].Identity != "i6300ESB timer" {
					t.Errorf("watchdogs %+v", e.Watchdogs)
				}
			case "kill":
				if e.LastAlive.After(killAt.Add(time.Second)) || killAt.Sub(*e.LastAlive) > time.Minute+time.Second {
					t.Errorf("last alive %v, killed at %v", e.LastAlive, killAt)
				}
			case "crash":
				if e.Reason != "Panic" {
					t.Errorf("crash reason %q", e.Reason)
				}
			}
			row := fmt.Sprintf("%-8s | %-8s | %-8s | %s", c.scenario, c.kind, e.Kind, e.KindDetail)
			if !killAt.IsZero() {
				row += fmt.Sprintf(" (killed %v after last_alive)", killAt.Sub(*e.LastAlive).Round(time.Second))
			}
			table = append(table, row)
			if t.Failed() {
				t.Logf("console:\n%s", console)
			}
		})
	}
	t.Logf("predict, then boot:\n%-8s | %-8s | %-8s | %s\n%s", "scenario", "predicted", "served", "detail", strings.Join(table, "\n"))
}

func consoleOf(r *qemulab.Result) []byte {
	if r == nil {
		return nil
	}
	return r.Console
}
