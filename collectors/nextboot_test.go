package collectors

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

const (
	nbRelease = "6.1.0-99-amd64"
	nbBuild   = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.999-1 (2026-01-01)"
	nbRootFS  = "39ec20e2-aaaa-4bbb-8ccc-0123456789ab"
)

// bzImage builds an x86 kernel image as boot.rst lays out its setup
// header: "HdrS", protocol 2.15, the version string kernel_version points
// at, and syssize paragraphs of protected-mode code.
func bzImage(version string) []byte {
	b := make([]byte, 5*512+64*16)
	b[0x1F1] = 4
	binary.LittleEndian.PutUint32(b[0x1F4:], 64)
	binary.LittleEndian.PutUint16(b[0x1FE:], 0xAA55)
	copy(b[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(b[0x206:], 0x020f)
	binary.LittleEndian.PutUint16(b[0x20E:], 0x100)
	copy(b[0x300:], version+"\x00")
	return b
}

// newcInitrd is a gzip-compressed newc cpio holding /init, as the
// kernel's buffer-format.rst describes it.
func newcInitrd(t *testing.T) []byte {
	t.Helper()
	var cpio bytes.Buffer
	member := func(name string, mode uint32, data string) {
		fmt.Fprintf(&cpio, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		cpio.WriteString(name + "\x00")
		for cpio.Len()%4 != 0 {
			cpio.WriteByte(0)
		}
		cpio.WriteString(data)
		for cpio.Len()%4 != 0 {
			cpio.WriteByte(0)
		}
	}
	member("init", 0o100755, "#!/bin/sh\n")
	member("TRAILER!!!", 0, "")
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(cpio.Bytes())
	w.Close()
	return z.Bytes()
}

// debianNextBoot lays out a Debian host as the issue found it: GRUB_DEFAULT
// saved, saved_entry pointing into the "Advanced options" submenu at
// kernel 6.1.0-99, that kernel with its initrd and module tree, and its
// root file system's UUID known to udev's links. The running kernel is
// 6.1.0-18.
func debianNextBoot(t *testing.T) Paths {
	t.Helper()
	root := t.TempDir()
	adv := "gnulinux-advanced-" + nbRootFS
	entry := "gnulinux-" + nbRelease + "-advanced-" + nbRootFS
	cfg := `if [ -s $prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ x"${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux $menuentry_id_option 'gnulinux-simple-` + nbRootFS + `' {
	linux	/boot/vmlinuz-6.1.0-18-amd64 root=UUID=` + nbRootFS + ` ro quiet
	initrd	/boot/initrd.img-6.1.0-18-amd64
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option '` + adv + `' {
	menuentry 'Debian GNU/Linux, with Linux ` + nbRelease + `' --class debian $menuentry_id_option '` + entry + `' {
		linux	/boot/vmlinuz-` + nbRelease + ` root=UUID=` + nbRootFS + ` ro quiet
		initrd	/boot/initrd.img-` + nbRelease + `
	}
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-18-amd64' --class debian $menuentry_id_option 'gnulinux-6.1.0-18-amd64-advanced-` + nbRootFS + `' {
		linux	/boot/vmlinuz-6.1.0-18-amd64 root=UUID=` + nbRootFS + ` ro quiet
		initrd	/boot/initrd.img-6.1.0-18-amd64
	}
}
`
	env := "# GRUB Environment Block\nsaved_entry=" + adv + ">" + entry + "\n"
	env += strings.Repeat("#", 1024-len(env))
	testutil.WriteTree(t, root, map[string]string{
		"etc/default/grub":                          "GRUB_DEFAULT=saved\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n",
		"boot/grub/grub.cfg":                        cfg,
		"boot/grub/grubenv":                         env,
		"boot/vmlinuz-" + nbRelease:                 string(bzImage(nbRelease + " (debian-kernel@lists.debian.org) " + nbBuild)),
		"boot/initrd.img-" + nbRelease:              string(newcInitrd(t)),
		"boot/vmlinuz-6.1.0-18-amd64":               string(bzImage("6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)")),
		"boot/initrd.img-6.1.0-18-amd64":            string(newcInitrd(t)),
		"lib/modules/" + nbRelease + "/modules.dep": "kernel/fs/ext4/ext4.ko:\n",
		"lib/modules/6.1.0-18-amd64/modules.dep":    "",
		"proc/sys/kernel/osrelease":                 "6.1.0-18-amd64\n",
		"proc/sys/kernel/version":                   "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n",
		"proc/cmdline":                              "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=" + nbRootFS + " ro quiet\n",
		"sys/class/block/vda2/dev":                  "254:2\n",
		"sys/class/block/vda2/partition":            "2\n",
		"dev/vda2":                                  "",
	})
	// As update-grub leaves them: grub.cfg newer than /etc/default/grub,
	// and both older than any edit a test makes now (the clock of file
	// times is coarse).
	for f, ago := range map[string]time.Duration{"etc/default/grub": time.Hour, "boot/grub/grub.cfg": 30 * time.Minute} {
		at := time.Now().Add(-ago)
		if err := os.Chtimes(filepath.Join(root, f), at, at); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "dev/disk/by-uuid"), 0o755)
	if err := os.Symlink("../../vda2", filepath.Join(root, "dev/disk/by-uuid", nbRootFS)); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	return Paths{RootFS: root, Boot: filepath.Join(root, "boot"), ProcFS: filepath.Join(root, "proc"), SysFS: filepath.Join(root, "sys"), DevFS: filepath.Join(root, "dev")}
}

// problems returns the reasons of the verdict's problems, and fails the
// test when there is no verdict.
func problems(t *testing.T, sec *BootloaderSection) (bool, []string) {
	t.Helper()
	nb := sec.NextBoot
	if nb == nil || nb.OK == nil {
		t.Fatalf("no verdict: %+v", nb)
	}
	var rs []string
	for _, p := range nb.Problems {
		rs = append(rs, p.Reason)
	}
	return *nb.OK, rs
}

// TestNextBootVerdict breaks a healthy Debian tree in each of the ways
// the issue lists and checks that the verdict names exactly that reason,
// in JSON and metrics.
func TestNextBootVerdict(t *testing.T) {
	rm := func(rel string) func(*testing.T, Paths) {
		return func(t *testing.T, p Paths) {
			if err := os.RemoveAll(filepath.Join(p.RootFS, rel)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write := func(rel, content string) func(*testing.T, Paths) {
		return func(t *testing.T, p Paths) { testutil.WriteTree(t, p.RootFS, map[string]string{rel: content}) }
	}
	edit := func(rel, old, new string) func(*testing.T, Paths) {
		return func(t *testing.T, p Paths) {
			full := filepath.Join(p.RootFS, rel)
			b, err := os.ReadFile(full)
			if err != nil || !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%s: %v, or no %q in it", rel, err, old)
			}
			st, _ := os.Stat(full)
			if err := os.WriteFile(full, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o644); err != nil {
				t.Fatal(err)
			}
			if rel == "boot/grub/grub.cfg" { // keep it newer than /etc/default/grub
				os.Chtimes(full, st.ModTime(), st.ModTime())
			}
		}
	}
	kernel := "boot/vmlinuz-" + nbRelease
	full := bzImage(nbRelease + " (debian-kernel@lists.debian.org) " + nbBuild)
	for _, tt := range []struct {
		name   string
		break_ func(*testing.T, Paths)
		want   []string
	}{
		{"healthy", func(*testing.T, Paths) {}, nil},
		{"kernel removed", rm(kernel), []string{"kernel_missing"}},
		{"kernel empty", write(kernel, ""), []string{"kernel_unreadable"}},
		{"kernel is text", write(kernel, "kernel"), []string{"kernel_unreadable"}},
		{"kernel truncated", write(kernel, string(full[:len(full)-100])), []string{"kernel_unreadable"}},
		{"kernel is a directory", func(t *testing.T, p Paths) { rm(kernel)(t, p); os.Mkdir(filepath.Join(p.RootFS, kernel), 0o755) }, []string{"kernel_unreadable"}},
		// A FIFO is refused without being opened: the scrape does not block.
		{"kernel is a FIFO", func(t *testing.T, p Paths) {
			rm(kernel)(t, p)
			if err := syscall.Mkfifo(filepath.Join(p.RootFS, kernel), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"kernel_unreadable"}},
		{"initrd is a FIFO", func(t *testing.T, p Paths) {
			rm("boot/initrd.img-"+nbRelease)(t, p)
			if err := syscall.Mkfifo(filepath.Join(p.RootFS, "boot/initrd.img-"+nbRelease), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"initrd_invalid"}},
		// A link to /dev/zero resolves inside the root, where there is none.
		{"kernel links to /dev/zero", func(t *testing.T, p Paths) {
			rm(kernel)(t, p)
			os.Symlink("/dev/zero", filepath.Join(p.RootFS, kernel))
		}, []string{"kernel_missing"}},
		{"kernel of another release", write(kernel, string(bzImage("6.1.0-98-amd64 (x@y) #1 SMP"))), []string{"kernel_version_mismatch", "modules_missing"}},
		{"initrd removed", rm("boot/initrd.img-" + nbRelease), []string{"initrd_missing"}},
		{"initrd empty", write("boot/initrd.img-"+nbRelease, ""), []string{"initrd_invalid"}},
		{"initrd is a kernel", write("boot/initrd.img-"+nbRelease, string(full)), []string{"initrd_invalid"}},
		{"no initrd line, root=UUID=", edit("boot/grub/grub.cfg", "initrd\t/boot/initrd.img-"+nbRelease, ""), []string{"initrd_missing"}},
		{"module tree removed", rm("lib/modules/" + nbRelease), []string{"modules_missing"}},
		{"modules.dep removed", rm("lib/modules/" + nbRelease + "/modules.dep"), []string{"modules_missing"}},
		{"root UUID gone", rm("dev/disk/by-uuid/" + nbRootFS), []string{"root_not_found"}},
		{"root device gone", rm("dev/vda2"), []string{"root_not_found"}},
		{"network root", edit("boot/grub/grub.cfg", "root=UUID="+nbRootFS+" ro quiet\n\t\tinitrd\t/boot/initrd.img-"+nbRelease, "root=/dev/nfs nfsroot=10.0.0.1:/srv ro quiet\n\t\tinitrd\t/boot/initrd.img-"+nbRelease), nil},
		{"default/grub edited, update-grub not run", write("etc/default/grub", "GRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n"), []string{"grub_config_stale"}},
		{"default/grub GRUB_DEFAULT changed", write("etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"), []string{"grub_config_stale"}},
		{"grub.d fragment edited", write("etc/default/grub.d/console.cfg", "GRUB_CMDLINE_LINUX=\"console=ttyS0\"\n"), []string{"grub_config_stale"}},
		{"default/grub touched, nothing changed", write("etc/default/grub", "# comment\nGRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"), nil},
		{"everything at once", func(t *testing.T, p Paths) {
			rm("boot/initrd.img-"+nbRelease)(t, p)
			rm("lib/modules/"+nbRelease)(t, p)
			rm("dev/disk/by-uuid/"+nbRootFS)(t, p)
		}, []string{"initrd_missing", "modules_missing", "root_not_found"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := debianNextBoot(t)
			tt.break_(t, p)
			sec, snap := collectBootloader(t, p)
			if e := sec.NextBoot.Entry; e == nil || e.Title != "Debian GNU/Linux, with Linux "+nbRelease {
				t.Fatalf("next entry %+v", sec.NextBoot)
			}
			ok, got := problems(t, sec)
			if ok != (len(tt.want) == 0) || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("ok %v, problems %q, want %q\n%+v", ok, got, tt.want, sec.NextBoot.Problems)
			}
			m := metricsText(t, snap, "bootinfo_next_boot_ok", "bootinfo_next_boot_problem")
			want := fmt.Sprintf("bootinfo_next_boot_ok{} %d\n", map[bool]int{true: 1}[ok])
			for _, r := range slices.Sorted(slices.Values(nextBootProblems)) {
				want += fmt.Sprintf("bootinfo_next_boot_problem{reason=%s} %d\n", r, map[bool]int{true: 1}[strings.Contains(","+strings.Join(tt.want, ",")+",", ","+r+",")])
			}
			if m != want {
				t.Errorf("metrics:\n%s\nwant:\n%s", m, want)
			}
			for _, pr := range sec.NextBoot.Problems {
				if pr.Detail == "" {
					t.Errorf("%s without detail", pr.Reason)
				}
			}
		})
	}
}

// TestNextBootKernelRebuilt: the next kernel is the running release built
// again (a rebuilt package of the same ABI), which only a reboot loads.
func TestNextBootKernelRebuilt(t *testing.T) {
	p := debianNextBoot(t)
	testutil.WriteTree(t, p.RootFS, map[string]string{
		"proc/sys/kernel/osrelease": nbRelease + "\n",
		"proc/sys/kernel/version":   "#1 SMP PREEMPT_DYNAMIC Debian 6.1.998-1 (2025-12-01)\n",
	})
	sec, snap := collectBootloader(t, p)
	if strings.Join(sec.RebootReasons, ",") != "kernel_rebuilt" {
		t.Errorf("reasons %v", sec.RebootReasons)
	}
	if !strings.Contains(metricsText(t, snap, "bootinfo_reboot_required"), "{reason=kernel_rebuilt} 1\n") {
		t.Error("bootinfo_reboot_required{reason=kernel_rebuilt} is not 1")
	}
	// Booted from it: nothing pending.
	testutil.WriteTree(t, p.RootFS, map[string]string{"proc/sys/kernel/version": nbBuild + "\n"})
	if sec, _ := collectBootloader(t, p); len(sec.RebootReasons) != 0 {
		t.Errorf("reasons %v", sec.RebootReasons)
	}
	// The running 6.1.0-18 against 6.1.0-99: an update, not a rebuild.
	if sec, _ := collectBootloader(t, debianNextBoot(t)); strings.Join(sec.RebootReasons, ",") != "kernel_update" {
		t.Errorf("reasons %v", sec.RebootReasons)
	}
}

// TestNextBootRescue reads the tree as a disk mounted from a rescue
// system: --path.rootfs and --path.boot point into it, while procfs, sysfs
// and dev are the rescue system's, which know the disk's root UUID.
func TestNextBootRescue(t *testing.T) {
	disk := debianNextBoot(t)
	rescue := debianNextBoot(t)
	p := Paths{RootFS: disk.RootFS, Boot: disk.Boot, ProcFS: rescue.ProcFS, SysFS: rescue.SysFS, DevFS: rescue.DevFS}
	sec, _ := collectBootloader(t, p)
	if ok, got := problems(t, sec); !ok {
		t.Errorf("rescue: problems %v", got)
	}
	// A separate /boot, mounted elsewhere.
	boot := t.TempDir()
	if err := os.Rename(disk.Boot, filepath.Join(boot, "b")); err != nil {
		t.Fatal(err)
	}
	p.Boot = filepath.Join(boot, "b")
	// A separate /boot's grub.cfg names files at its top.
	cfgPath := filepath.Join(p.Boot, "grub", "grub.cfg")
	b, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, bytes.ReplaceAll(b, []byte("\t/boot/"), []byte("\t/")), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(p.Boot, "initrd.img-"+nbRelease))
	sec, _ = collectBootloader(t, p)
	if ok, got := problems(t, sec); ok || strings.Join(got, ",") != "initrd_missing" {
		t.Errorf("separate boot: ok %v problems %v", ok, got)
	}
}

// timeAgo is an hour ago: a file edited before update-grub last ran.
func timeAgo() time.Time { return time.Now().Add(-time.Hour) }

// TestNextBootSystemdBoot: the same checks on a systemd-boot host, whose
// entries are Boot Loader Specification files beside the kernels in /boot
// and whose default comes from loader.conf: healthy, then each file an
// entry names missing in turn, and a root= that names no device.
func TestNextBootSystemdBoot(t *testing.T) {
	sdboot := func(t *testing.T) Paths {
		p := debianNextBoot(t)
		if err := os.RemoveAll(filepath.Join(p.RootFS, "boot/grub")); err != nil {
			t.Fatal(err)
		}
		entry := func(release string) string {
			return "title Debian GNU/Linux\nversion " + release + "\nlinux /vmlinuz-" + release +
				"\ninitrd /initrd.img-" + release + "\noptions root=UUID=" + nbRootFS + " ro quiet\n"
		}
		testutil.WriteTree(t, p.RootFS, map[string]string{
			"boot/loader/loader.conf":                           "default debian-" + nbRelease + ".conf\ntimeout 3\n",
			"boot/loader/entries/debian-" + nbRelease + ".conf": entry(nbRelease),
			"boot/loader/entries/debian-6.1.0-18-amd64.conf":    entry("6.1.0-18-amd64"),
		})
		return p
	}
	for _, tt := range []struct {
		name   string
		break_ func(*testing.T, Paths)
		want   string
	}{
		{"healthy", func(*testing.T, Paths) {}, ""},
		{"kernel removed", func(t *testing.T, p Paths) { os.Remove(filepath.Join(p.Boot, "vmlinuz-"+nbRelease)) }, "kernel_missing"},
		{"initrd removed", func(t *testing.T, p Paths) { os.Remove(filepath.Join(p.Boot, "initrd.img-"+nbRelease)) }, "initrd_missing"},
		{"modules removed", func(t *testing.T, p Paths) { os.RemoveAll(filepath.Join(p.RootFS, "lib/modules", nbRelease)) }, "modules_missing"},
		{"root gone", func(t *testing.T, p Paths) { os.Remove(filepath.Join(p.DevFS, "disk/by-uuid", nbRootFS)) }, "root_not_found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := sdboot(t)
			tt.break_(t, p)
			sec, _ := collectBootloader(t, p)
			if sec.Loader != "systemd-boot" {
				t.Fatalf("loader %q, want systemd-boot", sec.Loader)
			}
			if e := sec.NextBoot.Entry; e == nil || !strings.Contains(e.Kernel, nbRelease) {
				t.Fatalf("next entry %+v", sec.NextBoot)
			}
			ok, got := problems(t, sec)
			if ok != (tt.want == "") || strings.Join(got, ",") != tt.want {
				t.Errorf("ok %v, problems %q, want %q\n%+v", ok, got, tt.want, sec.NextBoot.Problems)
			}
		})
	}
}

// TestNextBootXen: a multiboot entry (Xen) boots Linux as its first
// module, with that module's command line; the entry's own line is the
// hypervisor's. /etc/default/grub touched after grub.cfg, unchanged, is
// no stale configuration.
func TestNextBootXen(t *testing.T) {
	p := debianNextBoot(t)
	cfg := filepath.Join(p.RootFS, "boot/grub/grub.cfg")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	linux := "\t\tlinux\t/boot/vmlinuz-" + nbRelease + " root=UUID=" + nbRootFS + " ro quiet\n\t\tinitrd\t/boot/initrd.img-" + nbRelease + "\n"
	xen := "\t\tmultiboot2\t/boot/xen.gz dom0_mem=1024M,max:1024M\n\t\tmodule2\t/boot/vmlinuz-" + nbRelease + " root=UUID=" + nbRootFS + " ro quiet\n\t\tmodule2\t--nounzip /boot/initrd.img-" + nbRelease + "\n"
	if !bytes.Contains(b, []byte(linux)) {
		t.Fatalf("grub.cfg has no %q", linux)
	}
	st, _ := os.Stat(cfg)
	if err := os.WriteFile(cfg, bytes.Replace(b, []byte(linux), []byte(xen), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := os.Chtimes(cfg, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(p.RootFS, "etc/default/grub"), now, now); err != nil {
		t.Fatal(err)
	}
	sec, _ := collectBootloader(t, p)
	e := sec.NextBoot.Entry
	if e == nil || e.LinuxKernel() != "/boot/vmlinuz-"+nbRelease {
		t.Fatalf("next entry %+v", sec.NextBoot)
	}
	if ok, got := problems(t, sec); !ok {
		t.Errorf("problems %q\n%+v", got, sec.NextBoot.Problems)
	}
	if r := sec.NextBoot.Checked.Root; r == nil || !r.Found {
		t.Errorf("root=UUID=%s from the Linux module's line not found: %+v", nbRootFS, r)
	}
}
