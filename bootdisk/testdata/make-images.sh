#!/bin/sh
# make-images.sh writes the small partition table images the golden and fuzz
# tests use: real tables written by sfdisk (util-linux) and sgdisk (gdisk),
# cut to the sectors the table occupies (no backup GPT), with what
# `sfdisk --json` read from the whole image beside each. Needs root for the
# 4096-byte-sector image (a loop device). Rerun after changing a script.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mk() { # name size-bytes keep-bytes script-on-stdin
	truncate -s "$2" "$tmp/$1"
	sfdisk -q --wipe never "$tmp/$1"
	sfdisk --json "$tmp/$1" | sed "s|$tmp/||" >"$1.sfdisk.json"
	head -c "$3" "$tmp/$1" >"$1"
}

mk gpt-512.img 262144 17408 <<'S'
label: gpt
label-id: 6C1B0A7E-52F8-4C5E-8D0B-7A1E3F9C2D41
grain: 512
first-lba: 34
start=34, size=64, type=U, uuid=0E1F2A3B-4C5D-6E7F-8091-A2B3C4D5E6F7, name="EFI System Partition"
start=98, size=40, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, uuid=1F2E3D4C-5B6A-4978-8695-A4B3C2D1E0F9, name="XBOOTLDR"
start=138, size=100, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=2A2B2C2D-3E3F-4041-8243-444546474849, name="root ☃", attrs="RequiredPartition GUID:59,63"
S

mk mbr-logical.img 131072 66560 <<'S'
label: dos
label-id: 0xdeadbeef
grain: 512
start=4, size=16, type=ef, bootable
start=20, size=16, type=83
start=40, size=180, type=5
start=44, size=20, type=82
start=70, size=20, type=8e
start=100, size=30, type=83
S

truncate -s 1048576 "$tmp/sgdisk-hybrid.img"
sgdisk -a 8 -o -S 256 -U 5A0D3C2B-1E4F-4A6B-8C7D-9E0F1A2B3C4D \
	-n 1:0:+64K -t 1:ef00 -c 1:EFI -u 1:11111111-2222-4333-8444-555555555555 \
	-n 2:0:+128K -t 2:8300 -c 2:root -u 2:66666666-7777-4888-9999-AAAAAAAAAAAA -A 2:set:2 \
	-n 3:0:0 -t 3:8e00 -u 3:BBBBBBBB-CCCC-4DDD-8EEE-FFFFFFFFFFFF "$tmp/sgdisk-hybrid.img" >/dev/null
sgdisk -h 1:2 "$tmp/sgdisk-hybrid.img" >/dev/null
sfdisk --json "$tmp/sgdisk-hybrid.img" | sed "s|$tmp/||" >sgdisk-hybrid.img.sfdisk.json
head -c 33792 "$tmp/sgdisk-hybrid.img" >sgdisk-hybrid.img

truncate -s 1048576 "$tmp/gpt-4096.img"
dev=$(losetup -f --show -b 4096 "$tmp/gpt-4096.img")
sfdisk -q --wipe never "$dev" <<'S'
label: gpt
label-id: 0D15EA5E-CAFE-4BAB-8E5E-123456789ABC
grain: 4096
first-lba: 6
start=6, size=64, type=U, uuid=ABCDEF01-2345-4678-9ABC-DEF012345678, name="EFI System Partition"
start=70, size=100, type=L, uuid=FEDCBA98-7654-4321-8FED-CBA987654321, name="root"
S
sfdisk --json "$dev" | sed "s|$dev|gpt-4096.img|" >gpt-4096.img.sfdisk.json
losetup -d "$dev"
head -c 24576 "$tmp/gpt-4096.img" >gpt-4096.img
