// Package qemulab boots a static Linux binary under real firmware with QEMU so
// that tests see what a server would show: SMBIOS tables built by SeaBIOS or
// OVMF and exported by the kernel at /sys/firmware/dmi/tables, EFI variables
// through efivarfs, and Secure Boot in the state the firmware really reports.
//
// The host prepares the lab once with scripts/lab-setup (QEMU, SeaBIOS, OVMF,
// busybox-static, a Debian kernel and a copy of it signed with OVMF's snakeoil
// key). [Find] locates it; [Lab.Boot] builds an initramfs in memory (newc cpio,
// gzip) holding busybox, the efivarfs module, the files the caller names and a
// generated /init, boots it under QEMU's TCG and returns what each guest command
// printed. With [Config.Image] the firmware boots a bootable image (an ISO
// from grub-mkrescue in a CD-ROM drive, or a raw disk) instead, and the boot
// loader in it starts the kernel with that initramfs and its own command
// line. /init reports over the serial console: each output is base64 between
// markers carrying a random per-boot token, so kernel messages and firmware
// noise on the same console cannot be mistaken for it.
//
// Kernel ABIs used in the guest: Documentation/ABI/testing/sysfs-firmware-dmi-tables
// (smbios_entry_point, DMI) and Documentation/filesystems/efivarfs.rst (each file
// is 4 attribute bytes, little endian, then the variable's value). The dump
// layout that [DumpBin] writes is the one `dmidecode --dump-bin` writes and
// `dmidecode --from-dump` reads; entry point offsets follow DMTF DSP0134
// section 5.2.
package qemulab
