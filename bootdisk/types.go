package bootdisk

import "github.com/bootinfo/bootinfo/efi"

// Well-known GPT partition type GUIDs.
var (
	// TypeESP is the EFI system partition (UEFI 2.10 Table 5-7).
	TypeESP = efi.MustParseGUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
	// TypeLegacyMBR marks a partition holding a legacy MBR (Table 5-7).
	TypeLegacyMBR = efi.MustParseGUID("024dee41-33e7-11d3-9d69-0008c781f39f")
	// TypeBIOSBoot holds GRUB's core image on a GPT disk booted by BIOS.
	TypeBIOSBoot = efi.MustParseGUID("21686148-6449-6e6f-744e-656564454649")
	// TypeLinuxFilesystem is the generic Linux data partition.
	TypeLinuxFilesystem = efi.MustParseGUID("0fc63daf-8483-4772-8e79-3d69d8477de4")
	// TypeXBOOTLDR is the Boot Loader Specification's extended boot loader
	// partition, mounted at /boot beside an ESP at /efi.
	TypeXBOOTLDR = efi.MustParseGUID("bc13c2ff-59e6-4262-a352-b275fd6f7172")
)

// gptTypeNames names the partition types a boot disk commonly carries.
// Every GUID here is checked against util-linux's own list in the tests.
var gptTypeNames = map[efi.GUID]string{
	TypeESP:             "EFI System",
	TypeLegacyMBR:       "MBR partition scheme",
	TypeBIOSBoot:        "BIOS boot",
	TypeLinuxFilesystem: "Linux filesystem",
	TypeXBOOTLDR:        "Linux extended boot",
	efi.MustParseGUID("0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"): "Linux swap",
	efi.MustParseGUID("e6d6d379-f507-44c2-a23c-238f2a3df928"): "Linux LVM",
	efi.MustParseGUID("a19d880f-05fc-4d3b-a006-743f0f84911e"): "Linux RAID",
	efi.MustParseGUID("933ac7e1-2eb4-4f13-b844-0e14e2aef915"): "Linux home",
	efi.MustParseGUID("3b8f8425-20e0-4f3b-907f-1a25a76f98e8"): "Linux server data",
	efi.MustParseGUID("4d21b016-b534-45c2-a9fb-5c16e091fd2d"): "Linux variable data",
	efi.MustParseGUID("7ec6f557-3bc5-4aca-b293-16ef5df639d1"): "Linux temporary data",
	efi.MustParseGUID("8da63339-0007-60c0-c436-083ac8230908"): "Linux reserved",
	efi.MustParseGUID("773f91ef-66d4-49b5-bd83-d683bf40ad16"): "Linux user's home",
	efi.MustParseGUID("44479540-f297-41b2-9af7-d131d5f0458a"): "Linux root (x86)",
	efi.MustParseGUID("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"): "Linux root (x86-64)",
	efi.MustParseGUID("69dad710-2ce4-4e3c-b16c-21a1d49abed3"): "Linux root (ARM)",
	efi.MustParseGUID("b921b045-1df0-41c3-af44-4c6f280d3fae"): "Linux root (ARM-64)",
	efi.MustParseGUID("72ec70a6-cf74-40e6-bd49-4bda08e8f224"): "Linux root (RISC-V-64)",
	efi.MustParseGUID("c31c45e6-3f39-412e-80fb-4809c4980599"): "Linux root (PPC64LE)",
	efi.MustParseGUID("5eead9a9-fe09-4a1e-a1d7-520d00531306"): "Linux root (S390X)",
	efi.MustParseGUID("8484680c-9521-48c6-9c11-b0720656f69e"): "Linux /usr (x86-64)",
	efi.MustParseGUID("b0e01050-ee5f-4390-949a-9101b17104e9"): "Linux /usr (ARM-64)",
	efi.MustParseGUID("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"): "Linux root verity (x86-64)",
	efi.MustParseGUID("df3300ce-d69f-4c92-978c-9bfb0f38d820"): "Linux root verity (ARM-64)",
	efi.MustParseGUID("e3c9e316-0b5c-4db8-817d-f92df00215ae"): "Microsoft reserved",
	efi.MustParseGUID("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"): "Microsoft basic data",
	efi.MustParseGUID("de94bba4-06d1-4d40-a16a-bfd50179d6ac"): "Windows recovery environment",
	efi.MustParseGUID("5808c8aa-7e8f-42e0-85d2-e1e90434cfb3"): "Microsoft LDM metadata",
	efi.MustParseGUID("af9b60a0-1431-4f62-bc68-3311714a69ad"): "Microsoft LDM data",
	efi.MustParseGUID("e75caf8f-f680-4cee-afa3-b001e56efc2d"): "Microsoft Storage Spaces",
	efi.MustParseGUID("d3bfe2de-3daf-11df-ba40-e3a556d89593"): "Intel Fast Flash",
	efi.MustParseGUID("9e1a2d38-c612-4316-aa26-8b49521e5a8b"): "PowerPC PReP boot",
	efi.MustParseGUID("48465300-0000-11aa-aa11-00306543ecac"): "Apple HFS/HFS+",
	efi.MustParseGUID("7c3457ef-0000-11aa-aa11-00306543ecac"): "Apple APFS",
	efi.MustParseGUID("426f6f74-0000-11aa-aa11-00306543ecac"): "Apple boot",
	efi.MustParseGUID("516e7cb4-6ecf-11d6-8ff8-00022d09712b"): "FreeBSD data",
	efi.MustParseGUID("83bd6b9d-7f41-11dc-be0b-001560b84f0f"): "FreeBSD boot",
	efi.MustParseGUID("516e7cb5-6ecf-11d6-8ff8-00022d09712b"): "FreeBSD swap",
	efi.MustParseGUID("516e7cb6-6ecf-11d6-8ff8-00022d09712b"): "FreeBSD UFS",
	efi.MustParseGUID("516e7cba-6ecf-11d6-8ff8-00022d09712b"): "FreeBSD ZFS",
	efi.MustParseGUID("6a85cf4d-1dd2-11b2-99a6-080020736631"): "Solaris root",
	efi.MustParseGUID("6a898cc3-1dd2-11b2-99a6-080020736631"): "Solaris /usr & Apple ZFS",
	efi.MustParseGUID("fe3a2a5d-4f32-41a7-b725-accc3285a309"): "ChromeOS kernel",
	efi.MustParseGUID("3cb8e202-3b7e-47dd-8a3c-7ff2a13cfcec"): "ChromeOS root fs",
	efi.MustParseGUID("aa31e02a-400f-11db-9590-000c2911d1b8"): "VMware VMFS",
}

// MBR partition type bytes with a meaning of their own here.
const (
	// MBRTypeProtective is the GPT protective MBR entry (UEFI 2.10
	// section 5.2.3).
	MBRTypeProtective = 0xEE
	// MBRTypeESP is the EFI system partition on an MBR disk (Table 5-2's
	// OSType EFh).
	MBRTypeESP = 0xEF
)

// mbrTypeNames names the MBR partition types seen on boot disks. Every byte
// here is checked against util-linux's own list in the tests.
var mbrTypeNames = map[byte]string{
	0x01: "FAT12",
	0x04: "FAT16 <32M",
	0x05: "Extended",
	0x06: "FAT16",
	0x07: "HPFS/NTFS/exFAT",
	0x0b: "W95 FAT32",
	0x0c: "W95 FAT32 (LBA)",
	0x0e: "W95 FAT16 (LBA)",
	0x0f: "W95 Ext'd (LBA)",
	0x27: "Hidden NTFS WinRE",
	0x82: "Linux swap / Solaris",
	0x83: "Linux",
	0x85: "Linux extended",
	0x8e: "Linux LVM",
	0xa5: "FreeBSD",
	0xa6: "OpenBSD",
	0xa8: "Darwin UFS",
	0xab: "Darwin boot",
	0xaf: "HFS / HFS+",
	0xbf: "Solaris",
	0xda: "Non-FS data",
	0xde: "Dell Utility",
	0xee: "GPT",
	0xef: "EFI (FAT-12/16/32)",
	0xfb: "VMware VMFS",
	0xfc: "VMware VMKCORE",
	0xfd: "Linux raid autodetect",
}

// GPTTypeName names a GPT partition type, or returns "" for a type this
// package does not know.
func GPTTypeName(g efi.GUID) string { return gptTypeNames[g] }

// MBRTypeName names an MBR partition type byte, or returns "".
func MBRTypeName(t byte) string { return mbrTypeNames[t] }

// isExtended reports whether an MBR type byte starts a chain of extended
// boot records (DOS, Windows LBA and Linux flavours).
func isExtended(t byte) bool { return t == 0x05 || t == 0x0f || t == 0x85 }
