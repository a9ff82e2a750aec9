#!/bin/sh
# Regenerates the grub.cfg fixtures in this directory with Debian's own
# grub-mkconfig and /etc/grub.d scripts (packages grub-common, grub2-common,
# grub-pc-bin), as an oracle for the grub package's parser and resolver.
#
# Run as root on a Debian host: it works in a private mount namespace
# (unshare -m) where /boot holds empty kernel and initrd files, /etc/default
# holds the case's default file, and grub-probe (which cannot probe a
# container's overlay root) is replaced by a script that answers as for an
# ext4 root on /dev/sda1 (fs UUID 3f1f9fa5-0c1e-4d7e-9e2f-5c1b2a3d4e5f).
# Everything else - menu layout, ids, quoting, submenus, the default and
# grubenv handling - is Debian's code.
#
# Each case is CASE.default (the /etc/default/grub used); the output is
# CASE.cfg. CASE.grubenv files are made with grub-editenv.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cat > /tmp/fake-grub-probe <<'PROBE'
#!/bin/sh
target=
for a in "$@"; do case "$a" in --target=*) target=${a#--target=};; esac; done
case "$target" in
device) echo /dev/sda1;;
fs) echo ext2;;
fs_uuid) echo 3f1f9fa5-0c1e-4d7e-9e2f-5c1b2a3d4e5f;;
partuuid) echo 0a1b2c3d-01;;
partmap) echo msdos;;
abstraction) ;;
drive) echo '(hd0,msdos1)';;
compatibility_hint) echo hd0,msdos1;;
hints_string) echo '--hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahcihd0,msdos1';;
disk) echo /dev/sda;;
*) echo "fake grub-probe: unknown target $target" >&2; exit 1;;
esac
PROBE
chmod +x /tmp/fake-grub-probe
for def in "$here"/*.default; do
	case=$(basename "$def" .default)
	unshare -m sh -eu -c '
		mount -t tmpfs none /boot
		for v in 6.1.0-13-amd64 6.1.0-12-amd64; do
			: > /boot/vmlinuz-$v; : > /boot/initrd.img-$v; : > /boot/config-$v
		done
		mkdir -p /boot/grub
		mount -t tmpfs none /etc/default
		cp "$1" /etc/default/grub
		mount --bind /tmp/fake-grub-probe /usr/sbin/grub-probe
		grub-mkconfig -o /boot/grub/grub.cfg 2>/dev/null
		cp /boot/grub/grub.cfg "$2"
	' sh "$def" "$here/$case.cfg"
done
# grubenv blocks: saved_entry as grub-set-default writes it, next_entry as
# grub-reboot writes it.
rm -f "$here"/*.grubenv
grub-editenv "$here/saved-path.grubenv" set "saved_entry=gnulinux-advanced-3f1f9fa5-0c1e-4d7e-9e2f-5c1b2a3d4e5f>gnulinux-6.1.0-12-amd64-advanced-3f1f9fa5-0c1e-4d7e-9e2f-5c1b2a3d4e5f"
grub-editenv "$here/next-entry.grubenv" set "next_entry=1>1" "saved_entry=0"
grub-editenv "$here/saved-title.grubenv" set "saved_entry=Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-12-amd64 (recovery mode)"
