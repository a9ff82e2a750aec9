#!/bin/sh
# make-images.sh writes the file system images the superblock golden and fuzz
# tests use: file systems made by their own mkfs tools with fixed UUIDs and
# labels, cut to the bytes ReadFileSystem reads of them, with what util-linux's
# `blkid -p -o export` read from the whole image beside each. Rerun after
# changing a command.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mk() { # name size-bytes keep-bytes mkfs-command...
	name=$1 size=$2 keep=$3
	shift 3
	truncate -s "$size" "$tmp/$name"
	"$@" "$tmp/$name" >/dev/null 2>&1
	blkid -p -o export "$tmp/$name" | grep -E '^(TYPE|UUID|LABEL)=' >"$name.blkid"
	head -c "$keep" "$tmp/$name" >"$name"
}

mk ext4.img 33554432 8192 mkfs.ext4 -q -U 4f1c3b2a-9e8d-4c7b-a6f5-0e1d2c3b4a59 -L debian-root
mk ext2.img 8388608 8192 mkfs.ext2 -q -U 0a1b2c3d-4e5f-4061-8273-948596a7b8c9 -L sixteen-chars-lb
mk xfs.img 314572800 8192 mkfs.xfs -q -m uuid=5d4c3b2a-1f0e-4d9c-8b7a-695847362514 -L xfs-root
mk btrfs.img 134217728 69632 mkfs.btrfs -q -U 7e6d5c4b-3a29-4817-8695-a4b3c2d1e0f9 -L btrfs-root
mk vfat16.img 33554432 69632 mkfs.vfat -F 16 -i 1234ABCD -n ESP
mk vfat12.img 1048576 8192 mkfs.vfat -F 12 -i 0BADF00D -n "MY FLOPPY"
mk swap.img 8388608 8192 mkswap -U e3e3c1e0-7c3f-4c55-9a2b-7f1a7a1f0001 -L swap
