package e2e

// GRUB lab: a real GRUB, installed by Debian's grub-mkrescue on an ISO with
// the lab kernel and an initramfs holding the static bootinfo binary, booted
// from a CD-ROM drive or a hard disk under SeaBIOS (GRUB's i386-pc
// platform) and OVMF (x86_64-efi). GRUB reads its grub.cfg and grubenv, picks the entry, and
// starts the kernel with that entry's command line; in the guest, bootinfo
// reads the same grub.cfg and grubenv and must name the entry GRUB really
// booted. Needs scripts/lab-setup and grub-mkrescue with its helpers.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

// grubLabTools are the host programs grub-mkrescue needs, and the GRUB
// platform directories it installs from (grub-pc-bin, grub-efi-amd64-bin).
var (
	grubLabTools    = []string{"grub-mkrescue", "grub-editenv", "grub-script-check", "xorriso", "mformat"}
	grubLabPlatform = []string{"/usr/lib/grub/i386-pc", "/usr/lib/grub/x86_64-efi"}
)

// grubLab skips (fails under CI=true) when grub-mkrescue cannot build an
// ISO for both firmware types here.
func grubLab(t *testing.T) *labEnv {
	t.Helper()
	lab := firmwareLab(t)
	for _, tool := range grubLabTools {
		if _, err := exec.LookPath(tool); err != nil {
			testutil.SkipOrFail(t, "GRUB lab: %v (install grub-common, xorriso, mtools)", err)
		}
	}
	for _, dir := range grubLabPlatform {
		if _, err := os.Stat(filepath.Join(dir, "modinfo.sh")); err != nil {
			testutil.SkipOrFail(t, "GRUB lab: %v (install grub-pc-bin and grub-efi-amd64-bin)", err)
		}
	}
	return lab
}

// grubLabConsole is the command line every entry starts with. It is
// exported in grub.cfg because GRUB gives a submenu only the exported
// variables.
const grubLabConsole = "console=ttyS0 quiet panic=-1"

// grubLabItem is a menu entry or submenu of the lab's grub.cfg.
type grubLabItem struct {
	title, id string
	// args follow ${lab_console} on the entry's linux line; each carries
	// a distinct lab.entry= marker.
	args string
	// cmdline is what GRUB makes of args when it is not args itself:
	// variables expanded, an argument with a space quoted.
	cmdline string
	// extra are menuentry's arguments after the title, the body's $2...
	extra []string
	// platform, when set, is the only grub_platform ("pc", "efi") whose
	// menu has the entry.
	platform string
	// sub holds a submenu's entries.
	sub []grubLabItem
}

// grubLabItems is the lab's menu for kernel release rel: entries whose
// arguments differ, two in a submenu (as grub-mkconfig writes them for
// Debian), and an id that names a different entry on each platform.
func grubLabItems(rel string) []grubLabItem {
	return []grubLabItem{
		// $1 is the title, $2 the first extra argument; GRUB quotes an
		// argument with a space when it builds the command line.
		{title: "Lab Linux", id: "lab-linux", extra: []string{"lab-extra"},
			args:    `ro lab.entry=plain lab.title="$1" lab.arg=$2`,
			cmdline: `ro lab.entry=plain "lab.title=Lab Linux" lab.arg=lab-extra`},
		{title: "Advanced options for Lab Linux", id: "lab-advanced", sub: []grubLabItem{
			{title: "Lab Linux, with Linux " + rel, id: "lab-linux-advanced-" + rel, args: "ro lab.entry=advanced"},
			// A submenu sees the exported variables as the script left
			// them, and no others.
			{title: "Lab Linux, with Linux " + rel + " (recovery mode)", id: "lab-linux-recovery-" + rel,
				args:    "ro single lab.entry=recovery lab.late=${lab_late} lab.hidden=${lab_hidden}",
				cmdline: "ro single lab.entry=recovery lab.late=set-after-the-menu lab.hidden="},
		}},
		{title: "Lab Linux (debug)", id: "lab-debug", args: "rw debug lab.entry=debug"},
		{title: "Lab Linux (BIOS)", id: "lab-platform", args: "ro lab.entry=platform-pc", platform: "pc"},
		{title: "Lab Linux (UEFI)", id: "lab-platform", args: "ro lab.entry=platform-efi", platform: "efi"},
	}
}

// grubLabMenu writes the lab's grub.cfg for kernel release rel; defaults is
// the script that sets "default".
func grubLabMenu(rel, defaults string) string {
	kernel := "/boot/vmlinuz-" + rel
	initrd := "/boot/initrd.img-" + rel
	var b strings.Builder
	b.WriteString(`# The firmware lab's GRUB menu, written by test/e2e/grub_test.go.
if [ "${grub_platform}" = "pc" ]; then
	# GRUB for BIOS talks to the VGA console unless told otherwise; the lab
	# has none. (GRUB for EFI uses the firmware's console, already serial.)
	serial --unit=0 --speed=115200
	terminal_input serial
	terminal_output serial
fi
set lab_console="` + grubLabConsole + `"
export lab_console
set lab_hidden=not-exported
`)
	b.WriteString(defaults)
	b.WriteString("set timeout=0\n")
	var write func(indent string, items []grubLabItem)
	write = func(indent string, items []grubLabItem) {
		for _, it := range items {
			in := indent
			if it.platform != "" {
				fmt.Fprintf(&b, "%sif [ \"${grub_platform}\" = \"%s\" ]; then\n", indent, it.platform)
				in += "\t"
			}
			if it.sub != nil {
				fmt.Fprintf(&b, "%ssubmenu '%s' --id %s {\n", in, it.title, it.id)
				write(in+"\t", it.sub)
			} else {
				fmt.Fprintf(&b, "%smenuentry '%s' --class debian --id %s", in, it.title, it.id)
				for _, a := range it.extra {
					fmt.Fprintf(&b, " '%s'", a)
				}
				b.WriteString(" {\n")
				fmt.Fprintf(&b, "%s\tlinux\t%s ${lab_console} %s\n", in, kernel, it.args)
				fmt.Fprintf(&b, "%s\tinitrd\t%s\n", in, initrd)
			}
			fmt.Fprintf(&b, "%s}\n", in)
			if it.platform != "" {
				fmt.Fprintf(&b, "%sfi\n", indent)
			}
		}
	}
	write("", grubLabItems(rel))
	// Entries run after the whole script: they see this.
	b.WriteString("set lab_late=set-after-the-menu\nexport lab_late\n")
	return b.String()
}

// grubLabMenuEntry is an entry of the menu GRUB shows on one platform.
type grubLabMenuEntry struct {
	Title, ID, Index, Args string
	Submenu                []string
}

// grubLabPlatformMenu lists the entries GRUB has on platform, in menu
// order, with their menu paths ("1>0") and the command lines GRUB gives
// their kernels (without BOOT_IMAGE).
func grubLabPlatformMenu(rel, platform string) []grubLabMenuEntry {
	var out []grubLabMenuEntry
	var walk func(prefix string, subs []string, items []grubLabItem)
	walk = func(prefix string, subs []string, items []grubLabItem) {
		n := 0
		for _, it := range items {
			if it.platform != "" && it.platform != platform {
				continue
			}
			idx := prefix + strconv.Itoa(n)
			n++
			if it.sub != nil {
				walk(idx+">", append(slices.Clip(subs), it.title), it.sub)
				continue
			}
			cmdline := it.cmdline
			if cmdline == "" {
				cmdline = it.args
			}
			out = append(out, grubLabMenuEntry{Title: it.title, ID: it.id, Index: idx, Args: grubLabConsole + " " + cmdline, Submenu: subs})
		}
	}
	walk("", nil, grubLabItems(rel))
	return out
}

// grubLabMkconfigDefault is the block grub-mkconfig's 00_header writes when
// GRUB_DEFAULT=saved: the default comes from grubenv, next_entry (set by
// grub-reboot) before saved_entry (grub-set-default).
const grubLabMkconfigDefault = `if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi
`

// grubLabBootDir writes the lab's /boot/grub: grub.cfg and, when env names
// variables, a grubenv that grub-editenv writes. The ISO and the guest's
// initramfs get the same files.
func grubLabBootDir(t *testing.T, cfg string, env []string) (dir string, files []qemulab.File) {
	t.Helper()
	dir = t.TempDir()
	grubDir := filepath.Join(dir, "boot", "grub")
	if err := os.MkdirAll(grubDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(grubDir, "grub.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	// A script GRUB cannot parse would still boot (GRUB falls back to its
	// command line, which times out the test): say so at once.
	if out, err := exec.Command("grub-script-check", cfgPath).CombinedOutput(); err != nil {
		t.Fatalf("grub-script-check on the lab's grub.cfg: %v: %s\n%s", err, out, cfg)
	}
	files = []qemulab.File{{Path: "/boot/grub/grub.cfg", Data: []byte(cfg)}}
	if len(env) > 0 {
		envPath := filepath.Join(grubDir, "grubenv")
		if out, err := exec.Command("grub-editenv", append([]string{envPath, "set"}, env...)...).CombinedOutput(); err != nil {
			t.Fatalf("grub-editenv: %v: %s", err, out)
		}
		b, err := os.ReadFile(envPath)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, qemulab.File{Path: "/boot/grub/grubenv", Data: b})
	}
	return dir, files
}

// grubLabISO returns an Image that grub-mkrescue builds from bootDir (see
// grubLabBootDir) plus the boot's kernel as /boot/vmlinuz-REL and its
// initramfs as /boot/initrd.img-REL. The ISO is a hybrid image: it boots
// from a CD-ROM drive or, written to a hard disk, from its MBR (BIOS) or
// its EFI system partition (UEFI).
func grubLabISO(bootDir string, media qemulab.Media) *qemulab.Image {
	return &qemulab.Image{Media: media, Build: func(dir string, in qemulab.ImageInputs) (string, error) {
		root := filepath.Join(dir, "iso")
		if err := os.CopyFS(root, os.DirFS(bootDir)); err != nil {
			return "", err
		}
		if err := linkOrCopy(in.Kernel, filepath.Join(root, "boot", "vmlinuz-"+in.KernelRelease)); err != nil {
			return "", err
		}
		if err := linkOrCopy(in.Initrd, filepath.Join(root, "boot", "initrd.img-"+in.KernelRelease)); err != nil {
			return "", err
		}
		iso := filepath.Join(dir, "grub-lab.iso")
		// No translations, fonts or themes: the lab's GRUB prints to a serial
		// console, and a smaller ISO boots sooner.
		cmd := exec.Command("grub-mkrescue", "--locales=", "--fonts=", "--themes=", "-o", iso, root)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("grub-mkrescue: %v: %s", err, out)
		}
		return iso, nil
	}}
}

// linkOrCopy puts src at dst, by a hard link when both are on one file system.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// grubLabBoot is what one GRUB boot showed in the guest.
type grubLabBoot struct {
	res *qemulab.Result
	// procCmdline is the guest's /proc/cmdline.
	procCmdline string
	// bootloader and host are bootinfo's sections.
	bootloader, host map[string]any
}

// bootGRUB boots the ISO built from bootDir under fw from media, and runs
// bootinfo and cat /proc/cmdline in the guest. The guest's root holds the
// same /boot as the ISO: files (grub.cfg, grubenv) and the kernel.
func bootGRUB(t *testing.T, lab *labEnv, name string, fw qemulab.Firmware, media qemulab.Media, bootDir string, files []qemulab.File) *grubLabBoot {
	t.Helper()
	cfg := qemulab.Config{
		Firmware: fw,
		Image:    grubLabISO(bootDir, media),
		Files: append(slices.Clip(files),
			qemulab.File{Path: "/bin/bootinfo", HostPath: lab.Agent},
			qemulab.File{Path: "/boot/vmlinuz-" + lab.KernelRelease, HostPath: lab.Kernel}),
		Commands: []qemulab.Command{
			{Name: "cmdline", Script: "cat /proc/cmdline\n"},
			{Name: "bootloader", Script: "bootinfo show bootloader --format json\n"},
			{Name: "host", Script: "bootinfo show host --format json\n"},
		},
	}
	res := lab.Run(t, name, cfg)
	g := &grubLabBoot{res: res}
	out := func(name string) []byte {
		b, err := res.Command(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	g.procCmdline = strings.TrimSpace(string(out("cmdline")))
	for name, dst := range map[string]*map[string]any{"bootloader": &g.bootloader, "host": &g.host} {
		if err := json.Unmarshal(out(name), dst); err != nil {
			t.Fatalf("bootinfo show %s printed no JSON object: %v\n%s", name, err, out(name))
		}
	}
	return g
}

// grubBootingRE matches what GRUB prints as it runs a menu item
// (grub-core/normal/menu.c, notify_booting): for an entry in a submenu,
// first the submenu's title, then the entry's.
var grubBootingRE = regexp.MustCompile("Booting `([^'\r\n]*)'")

// grubErrorRE matches an error GRUB printed (grub_print_error).
var grubErrorRE = regexp.MustCompile(`error: [^\r\n\x1b]*`)

// TestGRUBLab boots a GRUB that grub-mkrescue installed, under SeaBIOS and
// OVMF, with the default chosen by different rules, and checks that GRUB
// booted the entry the rule names and that bootinfo, reading the same
// grub.cfg and grubenv in the guest, resolves the same entry with the
// command line GRUB really passed.
func TestGRUBLab(t *testing.T) {
	lab := grubLab(t)
	rel := lab.KernelRelease
	advancedTitlePath := "Advanced options for Lab Linux>Lab Linux, with Linux " + rel
	cases := []struct {
		name  string
		fw    qemulab.Firmware
		media qemulab.Media
		// defaults is the grub.cfg script that sets "default"; env the
		// grubenv's variables.
		defaults string
		env      []string
		// What bootinfo must report: default_entry, next_boot.source,
		// and the id and index of the entry GRUB must boot.
		spec, source string
		fallback     bool
		wantID       string
		wantIndex    string
	}{
		{
			// A menu path into the submenu by position: an evaluator
			// that flattened the menu would take "Lab Linux, with Linux
			// REL", the second entry in file order.
			name: "seabios-submenu-path", fw: qemulab.SeaBIOS, media: qemulab.CDROM,
			defaults: "set default=\"1>1\"\n",
			spec:     "1>1", source: "default",
			wantID: "lab-linux-recovery-" + rel, wantIndex: "1>1",
		},
		{
			// The id of an entry inside the submenu, without the
			// submenu's: GRUB looks for it at the top level only, finds
			// nothing and boots the first entry (the mistake
			// grub-mkconfig warns about for GRUB_DEFAULT). A resolver
			// that searched the whole menu would take the submenu entry.
			name: "seabios-id-not-at-top", fw: qemulab.SeaBIOS, media: qemulab.CDROM,
			defaults: "set default=\"lab-linux-advanced-" + rel + "\"\n",
			spec:     "lab-linux-advanced-" + rel, source: "default", fallback: true,
			wantID: "lab-linux", wantIndex: "0",
		},
		{
			// grub-set-default's saved_entry as a path of titles.
			name: "ovmf-saved-entry", fw: qemulab.OVMF, media: qemulab.CDROM,
			defaults: grubLabMkconfigDefault,
			env:      []string{"saved_entry=" + advancedTitlePath},
			spec:     advancedTitlePath, source: "saved_entry",
			wantID: "lab-linux-advanced-" + rel, wantIndex: "1>0",
		},
		{
			// grub-reboot's one-shot next_entry wins over saved_entry,
			// and names by id an entry that exists once per platform
			// (the BIOS one would be first in the file). From a hard disk
			// this time.
			name: "ovmf-next-entry-disk", fw: qemulab.OVMF, media: qemulab.Disk,
			defaults: grubLabMkconfigDefault,
			env:      []string{"saved_entry=lab-debug", "next_entry=lab-platform"},
			spec:     "lab-platform", source: "next_entry",
			wantID: "lab-platform", wantIndex: "3",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			platform := "pc"
			if c.fw != qemulab.SeaBIOS {
				platform = "efi"
			}
			menu := grubLabPlatformMenu(rel, platform)
			i := slices.IndexFunc(menu, func(e grubLabMenuEntry) bool { return e.ID == c.wantID })
			if i < 0 || menu[i].Index != c.wantIndex {
				t.Fatalf("the lab's %s menu has no entry %s at %s: %+v", platform, c.wantID, c.wantIndex, menu)
			}
			want := menu[i]
			bootDir, files := grubLabBootDir(t, grubLabMenu(rel, c.defaults), c.env)
			g := bootGRUB(t, lab, "grub-"+c.name, c.fw, c.media, bootDir, files)

			// GRUB itself: what it said it booted, and the command line
			// it built (BOOT_IMAGE first, then the entry's linux line).
			var booting []string
			for _, m := range grubBootingRE.FindAllSubmatch(g.res.Console, -1) {
				booting = append(booting, string(m[1]))
			}
			// Not failures: save_env cannot write to a CD, GRUB for EFI
			// finds no graphics mode in a machine without a display.
			for _, m := range grubErrorRE.FindAll(g.res.Console, -1) {
				t.Logf("GRUB said: %s", m)
			}
			if d := cmp.Diff(append(slices.Clip(want.Submenu), want.Title), booting); d != "" {
				t.Errorf("GRUB's \"Booting\" lines on the console (-want +got):\n%s", d)
			}
			bootImage := "/boot/vmlinuz-" + rel
			wantCmdline := "BOOT_IMAGE=" + bootImage + " " + want.Args
			if g.procCmdline != wantCmdline {
				t.Errorf("guest /proc/cmdline = %q, want %q (the command line of entry %s)", g.procCmdline, wantCmdline, want.ID)
			}
			gotArgs, ok := strings.CutPrefix(g.procCmdline, "BOOT_IMAGE="+bootImage+" ")
			if !ok {
				t.Fatalf("guest /proc/cmdline %q does not start with GRUB's BOOT_IMAGE=%s", g.procCmdline, bootImage)
			}

			// bootinfo in the guest, reading the grub.cfg and grubenv that
			// GRUB read.
			wantJSON(t, g.host, "cmdline", g.procCmdline)
			wantJSON(t, g.bootloader, "loader", "grub")
			wantJSON(t, g.bootloader, "config_path", "boot/grub/grub.cfg")
			wantJSON(t, g.bootloader, "cmdline.boot_image", bootImage)
			wantJSON(t, g.bootloader, "default_entry", c.spec)
			wantJSON(t, g.bootloader, "next_boot.source", c.source)
			wantJSON(t, g.bootloader, "next_boot.spec", c.spec)
			fallback, _ := jsonAt(g.bootloader, "next_boot.fallback") // omitted when false
			if b, _ := fallback.(bool); b != c.fallback {
				t.Errorf("bootloader.next_boot.fallback = %v, want %v", fallback, c.fallback)
			}
			envVars := map[string]string{}
			for _, kv := range c.env {
				k, v, _ := strings.Cut(kv, "=")
				envVars[k] = v
			}
			for _, k := range []string{"saved_entry", "next_entry"} {
				got, _ := jsonAt(g.bootloader, k)
				if str(got) != envVars[k] {
					t.Errorf("bootloader.%s = %v, want %q from grubenv", k, got, envVars[k])
				}
			}
			next := asMap(asMap(g.bootloader["next_boot"])["entry"])
			gotNext := grubLabMenuEntry{Title: str(next["title"]), ID: str(next["id"]), Index: str(next["index"]), Args: str(next["args"])}
			for _, s := range asSlice(next["submenu"]) {
				gotNext.Submenu = append(gotNext.Submenu, str(s))
			}
			if d := cmp.Diff(want, gotNext); d != "" {
				t.Errorf("bootinfo's next_boot.entry is not the entry GRUB booted (-GRUB +bootinfo):\n%s", d)
			}
			if gotNext.Args != gotArgs {
				t.Errorf("bootinfo's next_boot.entry.args = %q, GRUB passed %q", gotNext.Args, gotArgs)
			}
			if k := str(next["kernel"]); k != bootImage {
				t.Errorf("next_boot.entry.kernel = %q, GRUB's BOOT_IMAGE %q", k, bootImage)
			}

			// The whole menu, as GRUB has it on this platform.
			var gotMenu []grubLabMenuEntry
			for _, v := range asSlice(g.bootloader["entries"]) {
				e := asMap(v)
				me := grubLabMenuEntry{Title: str(e["title"]), ID: str(e["id"]), Index: str(e["index"]), Args: str(e["args"])}
				for _, s := range asSlice(e["submenu"]) {
					me.Submenu = append(me.Submenu, str(s))
				}
				gotMenu = append(gotMenu, me)
				if c, _ := e["conditional"].(bool); c {
					t.Errorf("entry %q reported as conditional: the platform test is decidable", me.Title)
				}
			}
			if d := cmp.Diff(menu, gotMenu); d != "" {
				t.Errorf("bootloader.entries (-%s menu +bootinfo):\n%s", platform, d)
			}

			// The kernel GRUB loaded is the one installed and running.
			wantJSON(t, g.bootloader, "running_kernel", rel)
			wantJSON(t, g.bootloader, "installed_kernels", []any{bootImage})
			wantJSON(t, g.bootloader, "next_kernel.missing", false)
			wantJSON(t, g.bootloader, "reboot_required", false)
			wantMode := "normal"
			if strings.Contains(want.Args, " single ") {
				wantMode = "single"
			}
			wantJSON(t, g.bootloader, "cmdline.boot_mode", wantMode)
		})
	}
}
