#!/bin/sh
# Captures real pstore records: boots Debian's kernel under QEMU (TCG) with a
# pstore backend, crashes it with SysRq-c, lets QEMU reset, and in the second
# boot runs pstorecheck on /sys/fs/pstore. Backends: ramoops in reserved RAM
# (SeaBIOS; RAM survives a reset) or efi (OVMF; the panic is written to EFI
# variables in a copy of the vars flash). See
# /work/shared/docs/firmware-lab.md for the packages.
#
# usage: capture.sh ramoops|efi KERNEL_TREE OUTDIR
#        (KERNEL_TREE: dpkg-deb -x of a linux-image-*-amd64 package)
set -eu
backend=$1 ktree=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kver=$(ls "$ktree/lib/modules")
mods="$ktree/lib/modules/$kver/kernel"
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/sys" "$work/root/dev" "$work/root/mods"
cp /usr/bin/busybox "$work/root/bin/busybox"
for m in lib/reed_solomon/reed_solomon.ko fs/pstore/ramoops.ko drivers/firmware/efi/efi-pstore.ko; do
	cp "$mods/$m" "$work/root/mods/"
done
case $backend in
ramoops) load='insmod /mods/reed_solomon.ko; insmod /mods/ramoops.ko mem_address=0x7000000 mem_size=0x100000 record_size=0x4000 dump_oops=1'
	qemu_fw='' ;;
efi) load='insmod /mods/efi-pstore.ko'
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"
	qemu_fw="-machine q35 -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,file=$work/vars.fd" ;;
*) echo "unknown backend $backend" >&2; exit 2 ;;
esac
(cd "$here/../../.." && CGO_ENABLED=0 go build -o "$work/root/pstorecheck" ./history/testdata/qemu/pstorecheck)
cat > "$work/root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
$load
mount -t pstore pstore /sys/fs/pstore
if ls /sys/fs/pstore | grep -q dmesg; then
	echo "=== SECOND BOOT"
	/pstorecheck
	poweroff -f
fi
echo "=== FIRST BOOT: crashing"
echo 1 > /proc/sys/kernel/sysrq
echo c > /proc/sysrq-trigger
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$work/initrd.gz"
# shellcheck disable=SC2086
timeout 600 qemu-system-x86_64 -accel tcg -cpu max -m 512 -nographic $qemu_fw \
	-kernel "$ktree/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append 'console=ttyS0 panic=1 memmap=1M$0x7000000' > "$work/serial.log" 2>&1 || true
mkdir -p "$out"
cp "$work/serial.log" "$out/serial.log"
# Keep each record with its modification time.
awk -v out="$out" '
	{ gsub(/\r/, "") }
	/^=== FILE / && NF == 4 { name = $3; time = $4; b64 = ""; infile = 1; next }
	/^=== END FILE/ { if (infile) { f = out "/" name ".b64"; printf "%s", b64 > f; close(f); print name, time >> (out "/mtimes.txt") } infile = 0; next }
	infile { b64 = b64 $0 }
' "$work/serial.log"
for f in "$out"/*.b64; do
	[ -e "$f" ] || continue
	base64 -d "$f" > "${f%.b64}" && rm "$f"
done
sed -n '/=== PSTORECHECK JSON/,/=== END JSON/p' "$work/serial.log" | sed '1d;$d' | tr -d '\r' > "$out/pstorecheck.json"
