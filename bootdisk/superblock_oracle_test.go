package bootdisk

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// The superblock oracle tests format image files with the file systems'
// own mkfs tools and compare what ReadFileSystem reads with what
// util-linux's blkid low-level probe (`blkid -p -o export`) reads.

// fsTools are the programs the oracle tests run, with their Debian
// packages (scripts/test installs them).
var fsTools = map[string]string{
	"blkid": "util-linux", "mkfs.ext4": "e2fsprogs", "mke2fs": "e2fsprogs", "mkfs.btrfs": "btrfs-progs",
	"mkfs.vfat": "dosfstools", "mkfs.xfs": "xfsprogs", "mkswap": "util-linux",
}

// blkidFS is blkid's answer for an image: TYPE, UUID and LABEL, or
// ambivalent when it found more than one file system.
func blkidFS(t *testing.T, img string) (fs FileSystem, ambivalent bool) {
	t.Helper()
	cmd := exec.Command("blkid", "-p", "-o", "export", img)
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 8:
		// blkid's status for an ambivalent result.
		return fs, true
	case errors.As(err, &ee) && ee.ExitCode() == 2:
		return fs, false // nothing found
	case err != nil:
		t.Fatalf("blkid -p %s: %v", img, err)
	}
	return parseBlkidExport(out), false
}

// readImageFS runs ReadFileSystem on an image file.
func readImageFS(t *testing.T, img string) (*FileSystem, error) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ReadFileSystem(f)
}

// fsCase is one image: its size and the commands that make it, each
// given the image's path as its last argument.
type fsCase struct {
	name string
	size int64
	mkfs [][]string
	// edit changes the image after mkfs, as a tool that does not wipe
	// or another operating system would.
	edit func(t *testing.T, img string)
}

func TestFileSystemOracle(t *testing.T) {
	for name, pkg := range fsTools {
		testutil.Tool(t, name, pkg)
	}
	long := strings.Repeat("l", 255)
	cases := []fsCase{
		{name: "ext2", size: 8 << 20, mkfs: [][]string{{"mkfs.ext2", "-q", "-L", "ext2-root"}}},
		{name: "ext3", size: 8 << 20, mkfs: [][]string{{"mkfs.ext3", "-q", "-L", "ext3-root"}}},
		{name: "ext4 metadata_csum", size: 32 << 20, mkfs: [][]string{{"mkfs.ext4", "-q", "-L", "debian-root", "-O", "metadata_csum"}}},
		{name: "ext4 no csum 4k", size: 32 << 20, mkfs: [][]string{{"mkfs.ext4", "-q", "-b", "4096", "-O", "^metadata_csum", "-L", "sixteen-chars-lb"}}},
		{name: "ext4 clear uuid", size: 8 << 20, mkfs: [][]string{{"mkfs.ext4", "-q", "-U", "clear"}}},
		{name: "ext4 journal device", size: 8 << 20, mkfs: [][]string{{"mke2fs", "-q", "-O", "journal_dev", "-L", "journal"}}},
		{name: "ext4 label with a space", size: 8 << 20, mkfs: [][]string{{"mkfs.ext4", "-q", "-L", "my root"}}},
		{name: "btrfs", size: 128 << 20, mkfs: [][]string{{"mkfs.btrfs", "-q", "-L", "btrfs-root"}}},
		{name: "btrfs long label sha256", size: 128 << 20, mkfs: [][]string{{"mkfs.btrfs", "-q", "--csum", "sha256", "-L", long}}},
		{name: "btrfs xxhash", size: 128 << 20, mkfs: [][]string{{"mkfs.btrfs", "-q", "--csum", "xxhash"}}},
		{name: "btrfs blake2", size: 128 << 20, mkfs: [][]string{{"mkfs.btrfs", "-q", "--csum", "blake2"}}},
		{name: "fat12", size: 1 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "12", "-n", "FLOPPY", "-i", "0badf00d"}}},
		{name: "fat16", size: 32 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "16", "-n", "ESP", "-i", "1234ABCD"}}},
		{name: "fat16 no label", size: 32 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "16"}}},
		{name: "fat32", size: 64 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "32", "-n", "EFI SYSTEM"}}},
		{name: "fat32 4k sectors", size: 256 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "32", "-S", "4096", "-n", "BIG"}}},
		{name: "fat32 8 sectors a cluster", size: 256 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "32", "-s", "8", "-n", "CLUSTERS"}}},
		{name: "fat16 relabelled in the root directory only", size: 32 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "16", "-n", "BOOTSECTOR"}},
			edit: func(t *testing.T, img string) { renameFATRootLabel(t, img, "ROOTDIR") }},
		{name: "fat16 label in the boot sector only: none", size: 32 << 20, mkfs: [][]string{{"mkfs.vfat", "-F", "16", "-n", "BOOTSECTOR"}},
			edit: func(t *testing.T, img string) { renameFATRootLabel(t, img, "") }},
		{name: "xfs v5", size: 300 << 20, mkfs: [][]string{{"mkfs.xfs", "-q", "-L", "xfs-root"}}},
		{name: "xfs 4k sectors", size: 300 << 20, mkfs: [][]string{{"mkfs.xfs", "-q", "-s", "size=4096", "-L", "twelve-chars"}}},
		{name: "swap", size: 8 << 20, mkfs: [][]string{{"mkswap", "-q", "-L", "swap", "-U", "e3e3c1e0-7c3f-4c55-9a2b-7f1a7a1f0001"}}},
		{name: "swap 16k pages", size: 8 << 20, mkfs: [][]string{{"mkswap", "-q", "-p", "16384", "-L", "swap16k"}}},
		{name: "swap 64k pages", size: 8 << 20, mkfs: [][]string{{"mkswap", "-q", "-p", "65536"}}},
		{name: "empty", size: 1 << 20},
		{name: "ext4 superblock checksum wrong", size: 32 << 20, mkfs: [][]string{{"mkfs.ext4", "-q", "-L", "root"}},
			edit: func(t *testing.T, img string) { flipByte(t, img, extOffset+extVolumeName) }},
		{name: "xfs superblock checksum wrong", size: 300 << 20, mkfs: [][]string{{"mkfs.xfs", "-q", "-L", "root"}},
			edit: func(t *testing.T, img string) { flipByte(t, img, xfsFName) }},
		{name: "btrfs superblock checksum wrong", size: 128 << 20, mkfs: [][]string{{"mkfs.btrfs", "-q", "-L", "root"}},
			edit: func(t *testing.T, img string) { flipByte(t, img, btrfsOffset+btrfsLabel) }},
		{name: "ext4 then a FAT boot sector", size: 32 << 20, mkfs: [][]string{{"mkfs.ext4", "-q"}},
			edit: func(t *testing.T, img string) { copyFATBootSector(t, img) }},
		{name: "vfat over ext4", size: 32 << 20, mkfs: [][]string{{"mkfs.ext4", "-q", "-L", "old"}, {"mkfs.vfat", "-F", "16", "-n", "NEW"}}},
		{name: "btrfs over swap", size: 128 << 20, mkfs: [][]string{{"mkswap", "-q"}, {"mkfs.btrfs", "-q", "-f", "-L", "new"}}},
	}
	agree := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := newImage(t, c.size)
			for _, args := range c.mkfs {
				testutil.Run(t, "", args[0], append(args[1:], img)...)
			}
			if c.edit != nil {
				c.edit(t, img)
			}
			want, ambivalent := blkidFS(t, img)
			got, err := readImageFS(t, img)
			switch {
			case ambivalent:
				if !errors.Is(err, ErrAmbivalent) {
					t.Fatalf("blkid: ambivalent; ReadFileSystem: %+v, %v", got, err)
				}
			case want.Type == "":
				if !errors.Is(err, ErrNoFileSystem) {
					t.Fatalf("blkid: nothing; ReadFileSystem: %+v, %v", got, err)
				}
			case err != nil:
				t.Fatalf("blkid: %+v; ReadFileSystem: %v", want, err)
			default:
				if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(FileSystem{}, "BadChecksum")); diff != "" {
					t.Fatalf("-blkid +ReadFileSystem:\n%s", diff)
				}
				// blkid 2.38 prints nothing of checksums; the cases
				// that break one say so by their name.
				if bad := strings.Contains(c.name, "checksum wrong"); got.BadChecksum != bad {
					t.Fatalf("BadChecksum = %v, want %v", got.BadChecksum, bad)
				}
			}
			agree++
		})
	}
	t.Logf("ReadFileSystem agrees with blkid -p on %d of %d images", agree, len(cases))
}

// renameFATRootLabel rewrites the volume label entry in a FAT12/16 root
// directory (the first entry mkfs.vfat writes), or deletes it for "",
// leaving the boot sector's copy as it was: what relabelling on another
// system may leave.
func renameFATRootLabel(t *testing.T, img, label string) {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	p := parseFATBPB(b)
	if p == nil || p.fat32 {
		t.Fatalf("%s: not FAT12/16", img)
	}
	off, _ := p.rootDir()
	e := b[off : off+32]
	if e[11] != 0x08 {
		t.Fatalf("%s: the root directory's first entry is not the label (attribute %#x)", img, e[11])
	}
	if label == "" {
		e[0] = 0xE5
	} else {
		copy(e[:11], []byte(label+strings.Repeat(" ", 11-len(label))))
	}
	if err := os.WriteFile(img, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyFATBootSector writes a FAT16 boot sector made by mkfs.vfat over the
// first sector of img, which ext4 leaves unused.
func copyFATBootSector(t *testing.T, img string) {
	t.Helper()
	fat := filepath.Join(t.TempDir(), "fat.img")
	if err := os.WriteFile(fat, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(fat, 32<<20); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "", "mkfs.vfat", "-F", "16", fat)
	b, err := os.ReadFile(fat)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(img, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b[:512], 0); err != nil {
		t.Fatal(err)
	}
}

// flipByte changes the case of the letter at off in img.
func flipByte(t *testing.T, img string, off int64) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20 // a letter's case
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
