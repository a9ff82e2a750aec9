package collectors

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// rescueDisk makes a GPT disk image with one ext4 partition, attaches it
// to a loop device and mounts the partition, as a rescue system mounts a
// broken host's disk. It returns the mount point and the partition's
// PARTUUID as sfdisk reads it back.
func rescueDisk(t *testing.T) (mnt, partuuid string) {
	t.Helper()
	if os.Geteuid() != 0 {
		testutil.SkipOrFail(t, "loop devices and mounts need root")
	}
	for tool, pkg := range map[string]string{"sfdisk": "fdisk", "losetup": "mount", "mkfs.ext4": "e2fsprogs", "cpio": "cpio", "gzip": "gzip"} {
		testutil.Tool(t, tool, pkg)
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 48<<20); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "label: gpt\nstart=2048, type=L, name=\"debian-root\"\n", "sfdisk", "-q", img)
	var dump struct {
		PartitionTable struct {
			Partitions []struct{ UUID string } `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(testutil.Run(t, "", "sfdisk", "-J", img), &dump); err != nil || len(dump.PartitionTable.Partitions) != 1 {
		t.Fatalf("sfdisk -J: %v %+v", err, dump)
	}
	out, err := exec.Command("losetup", "-f", "--show", "-P", img).CombinedOutput()
	if err != nil {
		testutil.SkipOrFail(t, "losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
	if _, err := os.Stat(dev + "p1"); err != nil {
		exec.Command("partx", "-a", dev).Run()
	}
	testutil.Run(t, "", "mkfs.ext4", "-q", "-F", dev+"p1")
	mnt = t.TempDir()
	if err := unix.Mount(dev+"p1", mnt, "ext4", 0, ""); err != nil {
		testutil.SkipOrFail(t, "mount %sp1: %v", dev, err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, 0) })
	return mnt, strings.ToLower(dump.PartitionTable.Partitions[0].UUID)
}

// TestNextBootRescueLoop gives the verdict on a disk mounted as a rescue
// system would, with the paths --path.rootfs=MNT --path.boot=MNT/boot give
// and this machine's own /proc, /sys and /dev: a Debian-style /boot with
// the firmware lab's real Debian kernel, an initramfs cpio(1) and gzip(1)
// made, its module tree, and grub.cfg's root=PARTUUID= the partition's
// own, which the partition table read through the loop device confirms.
// Then the disk is broken the ways the issue lists, one at a time.
func TestNextBootRescueLoop(t *testing.T) {
	lab, err := qemulab.Find()
	if err != nil {
		testutil.SkipOrFail(t, "%v", err)
	}
	mnt, partuuid := rescueDisk(t)
	// The file system's UUID as blkid reads it from the partition.
	src := strings.TrimSpace(string(testutil.Run(t, "", "findmnt", "-n", "-o", "SOURCE", "--mountpoint", mnt)))
	fsuuid := strings.TrimSpace(string(testutil.Run(t, "", "blkid", "-p", "-o", "value", "-s", "UUID", src)))
	rel := lab.KernelRelease
	testutil.CopyFile(t, lab.Kernel, filepath.Join(mnt, "boot", "vmlinuz-"+rel), 0o644)
	initDir := t.TempDir()
	testutil.WriteTree(t, initDir, map[string]string{"init": "#!/bin/sh\n", "conf/initramfs.conf": "MODULES=most\n"})
	cmd := exec.Command("sh", "-c", "find . | cpio --quiet -o -H newc | gzip -n > "+filepath.Join(mnt, "boot", "initrd.img-"+rel))
	cmd.Dir = initDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio | gzip: %v: %s", err, out)
	}
	cfg := "set default=\"0\"\nmenuentry 'Debian GNU/Linux' {\n\tlinux\t/boot/vmlinuz-" + rel + " root=PARTUUID=" + partuuid + " ro quiet\n\tinitrd\t/boot/initrd.img-" + rel + "\n}\n"
	testutil.WriteTree(t, mnt, map[string]string{
		"boot/grub/grub.cfg":                  cfg,
		"lib/modules/" + rel + "/modules.dep": "kernel/fs/efivarfs/efivarfs.ko:\n",
		"etc/default/grub":                    "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n",
	})
	if err := os.Chtimes(filepath.Join(mnt, "etc/default/grub"), timeAgo(), timeAgo()); err != nil {
		t.Fatal(err)
	}
	p := Paths{RootFS: mnt, Boot: filepath.Join(mnt, "boot"), ProcFS: "/proc", SysFS: "/sys", DevFS: "/dev"}

	sec, _ := collectBootloader(t, p)
	ok, got := problems(t, sec)
	ch := sec.NextBoot.Checked
	if !ok || ch.Kernel == nil || ch.Kernel.Release != rel || ch.Root == nil || !ch.Root.Found {
		t.Fatalf("healthy: ok %v problems %v %+v; checked %+v root %+v", ok, got, sec.NextBoot.Problems, ch, ch.Root)
	}
	t.Logf("healthy: kernel %s, root found in %s as %s", ch.Kernel.Version, ch.Root.Source, ch.Root.Device)

	full, err := os.ReadFile(lab.Kernel)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		do, undo func()
		want     string
	}{
		{"truncated kernel",
			func() { os.WriteFile(filepath.Join(mnt, "boot", "vmlinuz-"+rel), full[:len(full)/2], 0o644) },
			func() { os.WriteFile(filepath.Join(mnt, "boot", "vmlinuz-"+rel), full, 0o644) }, "kernel_unreadable"},
		{"initrd missing",
			func() { os.Rename(filepath.Join(mnt, "boot", "initrd.img-"+rel), filepath.Join(mnt, "initrd.saved")) },
			func() { os.Rename(filepath.Join(mnt, "initrd.saved"), filepath.Join(mnt, "boot", "initrd.img-"+rel)) }, "initrd_missing"},
		{"modules missing",
			func() { os.Rename(filepath.Join(mnt, "lib/modules", rel), filepath.Join(mnt, "modules.saved")) },
			func() { os.Rename(filepath.Join(mnt, "modules.saved"), filepath.Join(mnt, "lib/modules", rel)) }, "modules_missing"},
		{"root PARTUUID not there",
			func() {
				editFile(t, filepath.Join(mnt, "boot/grub/grub.cfg"), partuuid, "00000000-0000-4000-8000-00000000dead")
			},
			func() {
				editFile(t, filepath.Join(mnt, "boot/grub/grub.cfg"), "00000000-0000-4000-8000-00000000dead", partuuid)
			}, "root_not_found"},
		// Debian's own form, root=UUID=, found (on this machine, with no
		// udev, in the file system's superblock read through the loop
		// device) and not.
		{"root UUID of the file system",
			func() { editFile(t, filepath.Join(mnt, "boot/grub/grub.cfg"), "PARTUUID="+partuuid, "UUID="+fsuuid) },
			func() { editFile(t, filepath.Join(mnt, "boot/grub/grub.cfg"), "UUID="+fsuuid, "PARTUUID="+partuuid) }, "ok"},
		{"root UUID not there",
			func() {
				editFile(t, filepath.Join(mnt, "boot/grub/grub.cfg"), "PARTUUID="+partuuid, "UUID=0badf00d-0000-4000-8000-00000000dead")
			},
			func() {
				editFile(t, filepath.Join(mnt, "boot/grub/grub.cfg"), "UUID=0badf00d-0000-4000-8000-00000000dead", "PARTUUID="+partuuid)
			}, "root_not_found"},
	} {
		c.do()
		sec, _ := collectBootloader(t, p)
		ok, got := problems(t, sec)
		if verdict := strings.Join(got, ","); ok && c.want != "ok" || !ok && verdict != c.want {
			t.Errorf("%s: ok %v problems %v, want %s; root %+v", c.name, ok, got, c.want, sec.NextBoot.Checked.Root)
		}
		if r := sec.NextBoot.Checked.Root; strings.HasPrefix(c.name, "root UUID") {
			t.Logf("%s: %+v", c.name, *r)
		}
		c.undo()
	}
	if sec, _ := collectBootloader(t, p); sec.NextBoot.OK == nil || !*sec.NextBoot.OK {
		t.Errorf("restored: %+v", sec.NextBoot.Problems)
	}
}

func editFile(t *testing.T, p, old, new string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s: %v, or no %q", p, err, old)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), old, new)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The file times the stale-config check compares stay as they were.
	if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
}
