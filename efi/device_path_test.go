package efi

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// node builds a device path node: type, sub-type, length, data.
func node(typ, sub byte, data ...byte) []byte {
	b := []byte{typ, sub, 0, 0}
	binary.LittleEndian.PutUint16(b[2:], uint16(4+len(data)))
	return append(b, data...)
}

var endEntire = []byte{0x7F, 0xFF, 4, 0}

func le16b(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32b(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64b(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func join(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func guidBytes(s string) []byte { g := MustParseGUID(s); return g[:] }

func utf16Bytes(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return append(b, 0, 0)
}

// TestNodeText checks each supported node against the notation of UEFI 2.10
// section 10.6.1.6, with the binary layouts of section 10.3 written out by
// hand.
func TestNodeText(t *testing.T) {
	const g = "12345678-9abc-def0-0123-456789abcdef"
	tests := []struct {
		name string
		node []byte
		want string
	}{
		{"pci", node(1, 1, 0x2, 0x1F), "Pci(0x1F,0x2)"}, // function first, then device
		{"pccard", node(1, 2, 3), "PcCard(0x3)"},
		{"memmap", node(1, 3, join(le32b(11), le64b(0xFED00000), le64b(0xFED003FF))...), "MemoryMapped(0xB,0xFED00000,0xFED003FF)"},
		{"venhw", node(1, 4, guidBytes(g)...), "VenHw(" + g + ")"},
		{"venhw data", node(1, 4, append(guidBytes(g), 0xDE, 0xAD)...), "VenHw(" + g + ",DEAD)"},
		{"ctrl", node(1, 5, le32b(1)...), "Ctrl(0x1)"},
		{"bmc", node(1, 6, join([]byte{1}, le64b(0xCA2))...), "BMC(0x1,0xCA2)"},
		{"pciroot", node(2, 1, join(le32b(0x0A0341D0), le32b(0))...), "PciRoot(0x0)"},
		{"pcieroot", node(2, 1, join(le32b(0x0A0841D0), le32b(1))...), "PcieRoot(0x1)"},
		{"serial", node(2, 1, join(le32b(0x050141D0), le32b(0))...), "Serial(0x0)"},
		{"keyboard", node(2, 1, join(le32b(0x030341D0), le32b(0))...), "Acpi(PNP0303,0x0)"},
		{"acpi other", node(2, 1, join(le32b(0x0C0241D0), le32b(2))...), "Acpi(PNP0C02,0x2)"},
		{"acpiex pcieroot", node(2, 2, join(le32b(0x0A0841D0), le32b(0), le32b(0x0A0341D0), []byte{0, 0, 0})...), "PcieRoot(0x0)"},
		{"acpiex pciroot by cid", node(2, 2, join(le32b(0x12345678), le32b(3), le32b(0x0A0341D0), []byte{0, 0, 0})...), "PciRoot(0x3)"},
		{"acpiex uidstr", node(2, 2, join(le32b(0x0A0841D0), le32b(0), le32b(0), []byte("\x00PCI1\x00\x00"))...), "PcieRoot(PCI1)"},
		{"acpiex generic", node(2, 2, join(le32b(0x0C0241D0), le32b(5), le32b(0), []byte("HID\x00UID\x00CID\x00"))...), "AcpiEx(PNP0C02,0,0x5,HID,CID,UID)"},
		{"acpiexp", node(2, 2, join(le32b(0x0C0241D0), le32b(0), le32b(0), []byte("\x00UID7\x00\x00"))...), "AcpiExp(PNP0C02,0,UID7)"},
		{"acpiadr", node(2, 3, join(le32b(0x80010100), le32b(0x80010200))...), "AcpiAdr(0x80010100,0x80010200)"},
		{"ata", node(3, 1, 1, 0, 0, 0), "Ata(Secondary,Master,0x0)"},
		{"scsi", node(3, 2, join(le16b(2), le16b(0))...), "Scsi(0x2,0x0)"},
		{"fibre", node(3, 3, join(le32b(0), le64b(0x50060B0000C26204), le64b(0))...), "Fibre(0x50060B0000C26204,0x0)"},
		{"usb", node(3, 5, 11, 1), "USB(0xB,0x1)"},
		{"usb mass storage", node(3, 15, join(le16b(0x0781), le16b(0x5567), []byte{8, 6, 0x50})...), "UsbMassStorage(0x781,0x5567,0x6,0x50)"},
		{"usb class", node(3, 15, join(le16b(0xFFFF), le16b(0xFFFF), []byte{0xFF, 1, 2})...), "UsbClass(0xFFFF,0xFFFF,0xFF,0x1,0x2)"},
		{"usb dfu", node(3, 15, join(le16b(0x1209), le16b(0x2001), []byte{0xFE, 1, 2})...), "UsbDeviceFirmwareUpdate(0x1209,0x2001,0x2)"},
		{"uart", node(3, 14, join(le32b(0), le64b(115200), []byte{8, 1, 1})...), "Uart(115200,8,N,1)"},
		{"uart defaults", node(3, 14, join(le32b(0), le64b(0), []byte{0, 0, 0})...), "Uart(DEFAULT,DEFAULT,D,D)"},
		{"unit", node(3, 17, 2), "Unit(0x2)"},
		{"sata", node(3, 18, join(le16b(0), le16b(0xFFFF), le16b(0))...), "Sata(0x0,0xFFFF,0x0)"},
		{"vlan", node(3, 20, le16b(100)...), "Vlan(100)"},
		{"nvme", node(3, 23, join(le32b(1), []byte{0x8E, 0x3A, 0x4B, 0x01, 0x00, 0x1B, 0x44, 0x8C})...), "NVMe(0x1,8C-44-1B-00-01-4B-3A-8E)"},
		{"uri", node(3, 24, []byte("http://192.168.1.1/boot.efi")...), "Uri(http://192.168.1.1/boot.efi)"},
		{"uri empty", node(3, 24), "Uri()"},
		{"ufs", node(3, 25, 0, 1), "UFS(0x0,0x1)"},
		{"sd", node(3, 26, 0), "SD(0x0)"},
		{"emmc", node(3, 29, 1), "eMMC(0x1)"},
		{"mac", node(3, 11, append(append([]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}, make([]byte, 26)...), 1)...), "MAC(525400123456,0x1)"},
		{"ipv4 static", node(3, 12, join([]byte{192, 168, 0, 2}, []byte{192, 168, 0, 1}, le16b(0), le16b(69), le16b(17), []byte{1}, []byte{192, 168, 0, 254}, []byte{255, 255, 255, 0})...),
			"IPv4(192.168.0.1,UDP,Static,192.168.0.2,192.168.0.254,255.255.255.0)"},
		{"ipv4 uefi 2.0", node(3, 12, join([]byte{10, 0, 0, 2}, []byte{10, 0, 0, 1}, le16b(0), le16b(80), le16b(6), []byte{0})...), "IPv4(10.0.0.1,TCP,DHCP,10.0.0.2)"},
		{"ipv4 dhcp", node(3, 12, make([]byte, 23)...), "IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)"},
		{"ipv6", node(3, 13, join(make([]byte, 15), []byte{1}, []byte{0x20, 0x01, 0x0d, 0xb8}, make([]byte, 11), []byte{1}, le16b(0), le16b(0), le16b(6), []byte{1, 64}, make([]byte, 16))...),
			"IPv6(2001:db8::1,TCP,StatelessAutoConfigure,::1,::,64)"},
		{"vt100", node(3, 10, guidBytes("dfa66065-b419-11d3-9a2d-0090273fc14d")...), "VenVt100()"},
		{"pcansi", node(3, 10, guidBytes("e0c14753-f9be-11d2-9a0c-0090273fc14d")...), "VenPcAnsi()"},
		{"hd gpt", node(4, 1, join(le32b(1), le64b(0x800), le64b(0x100000), guidBytes("c2b0d1b7-2f4e-4c8e-9b0c-2b0c66a1b7a1"), []byte{2, 2})...),
			"HD(1,GPT,c2b0d1b7-2f4e-4c8e-9b0c-2b0c66a1b7a1,0x800,0x100000)"},
		{"hd mbr", node(4, 1, join(le32b(1), le64b(0x3F), le64b(0xFBFC1), le32b(0xBE1AFDFA), make([]byte, 12), []byte{1, 1})...),
			"HD(1,MBR,0xBE1AFDFA,0x3F,0xFBFC1)"}, // the example of the uefi-rs documentation and the spec
		{"hd no signature", node(4, 1, join(le32b(2), le64b(1), le64b(2), make([]byte, 16), []byte{1, 0})...), "HD(2,0,0,0x1,0x2)"},
		{"cdrom", node(4, 2, join(le32b(0), le64b(0x1E), le64b(0x4000))...), "CDROM(0x0,0x1E,0x4000)"},
		{"venmedia", node(4, 3, append(guidBytes(g), 1)...), "VenMedia(" + g + ",01)"},
		{"file", node(4, 4, utf16Bytes(`\EFI\debian\shimx64.efi`)...), `\EFI\debian\shimx64.efi`},
		{"file non-ascii", node(4, 4, utf16Bytes(`\EFI\Überboot\ü.efi`)...), `\EFI\Überboot\ü.efi`},
		{"media", node(4, 5, guidBytes(g)...), "Media(" + g + ")"},
		{"fvfile", node(4, 6, guidBytes(g)...), "FvFile(" + g + ")"},
		{"fv", node(4, 7, guidBytes(g)...), "Fv(" + g + ")"},
		{"offset", node(4, 8, join(le32b(0), le64b(0x1000), le64b(0x1FFF))...), "Offset(0x1000,0x1FFF)"},
		{"bbs hd", node(5, 1, join(le16b(2), le16b(0x100), []byte("IDE 0 \x00"))...), "BBS(HD,IDE 0 ,0x100)"},
		{"bbs other type", node(5, 1, join(le16b(0x80), le16b(0), []byte("Net\x01\x00"))...), "BBS(0x80,Net?,0x0)"},
		// Generic form: unknown types and nodes too short for their type.
		{"unknown type", node(0x22, 3, 0xAB, 0xCD), "Path(34,3,ABCD)"},
		{"unknown no data", node(3, 0x7E), "Path(3,126)"},
		{"short pci", node(1, 1, 0x2), "Path(1,1,02)"},
		{"long usb", node(3, 5, 1, 2, 3), "Path(3,5,010203)"},
		{"short vendor", node(3, 10, 1, 2), "Path(3,10,0102)"},
		{"odd file", node(4, 4, 'a', 0, 'b'), "Path(4,4,610062)"},
		{"acpiex trailing", node(2, 2, join(le32b(0x0A0341D0), le32b(0), le32b(0), []byte("a\x00b\x00c\x00d"))...), "Path(2,2," + strings.ToUpper("d041030a0000000000000000610062006300") + "64)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseDevicePath(join(tt.node, endEntire))
			if err != nil {
				t.Fatal(err)
			}
			if len(p) != 1 {
				t.Fatalf("%d nodes", len(p))
			}
			if got := p.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDevicePathInstances(t *testing.T) {
	pciroot := node(2, 1, join(le32b(0x0A0341D0), le32b(0))...)
	endInstance := []byte{0x7F, 0x01, 4, 0}
	b := join(pciroot, node(1, 1, 0, 0x1F), endInstance, pciroot, node(1, 1, 0, 2), endEntire, []byte("ignored"))
	p, err := ParseDevicePath(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "PciRoot(0x0)/Pci(0x1F,0x0),PciRoot(0x0)/Pci(0x2,0x0)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// Two device paths in one list (a load option with an initrd path).
	paths, err := ParseDevicePaths(join(pciroot, endEntire, node(4, 4, utf16Bytes(`\initrd`)...), endEntire))
	if err != nil || len(paths) != 2 || paths[1].String() != `\initrd` {
		t.Errorf("ParseDevicePaths = %v, %v", paths, err)
	}
}

// TestDevicePathMalformed: a node shorter than its header or longer than the
// buffer ends the path with an error; what came before it is kept.
func TestDevicePathMalformed(t *testing.T) {
	pci := node(1, 1, 0, 0x1F)
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr []error
	}{
		{"empty", nil, "", []error{ErrMalformed, io.ErrUnexpectedEOF}},
		{"no end node", pci, "Pci(0x1F,0x0)", []error{ErrMalformed, io.ErrUnexpectedEOF}},
		{"zero length", join(pci, []byte{1, 1, 0, 0}, endEntire), "Pci(0x1F,0x0)", []error{ErrMalformed}},
		{"length 3", join(pci, []byte{1, 1, 3, 0}, endEntire), "Pci(0x1F,0x0)", []error{ErrMalformed}},
		{"runs past buffer", join(pci, []byte{4, 4, 0xFF, 0}, endEntire), "Pci(0x1F,0x0)", []error{ErrMalformed, io.ErrUnexpectedEOF}},
		{"truncated header", join(pci, []byte{0x7F, 0xFF}), "Pci(0x1F,0x0)", []error{ErrMalformed, io.ErrUnexpectedEOF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseDevicePath(tt.in)
			for _, w := range tt.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("error %v is not %v", err, w)
				}
			}
			if got := p.String(); got != tt.want {
				t.Errorf("decoded %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseLoadOption(t *testing.T) {
	path := join(node(4, 4, utf16Bytes(`\EFI\BOOT\BOOTX64.EFI`)...), endEntire)
	header := func(attrs uint32, pathLen int, desc string) []byte {
		return join(le32b(attrs), le16b(uint16(pathLen)), utf16Bytes(desc))
	}
	tests := []struct {
		name    string
		in      []byte
		want    *LoadOption
		wantErr error
	}{
		{"ok", join(header(0x1, len(path), "Debian"), path, []byte{1, 2, 3}),
			&LoadOption{Attributes: 1, Description: "Debian", FilePaths: mustPaths(path), OptionalData: []byte{1, 2, 3}}, nil},
		{"empty description, reserved category", join(header(0x201, len(path), ""), path),
			&LoadOption{Attributes: 0x201, FilePaths: mustPaths(path), OptionalData: []byte{}}, nil},
		{"too short", []byte{1, 0, 0, 0, 0}, nil, io.ErrUnexpectedEOF},
		{"description unterminated", join(le32b(1), le16b(4), []byte{'A', 0, 'B'}), &LoadOption{Attributes: 1, Description: "A"}, ErrMalformed},
		{"path list past end", join(header(1, 200, "X"), path),
			&LoadOption{Attributes: 1, Description: "X", FilePaths: mustPaths(path)}, io.ErrUnexpectedEOF},
		{"empty path list", header(1, 0, "X"), &LoadOption{Attributes: 1, Description: "X", OptionalData: []byte{}}, ErrMalformed},
		{"path list cuts a node", join(header(1, 6, "X"), path),
			&LoadOption{Attributes: 1, Description: "X", OptionalData: path[6:]}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLoadOption(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	o, _ := ParseLoadOption(join(header(0x201, len(path), ""), path))
	if o.Category() != "0x0200" {
		t.Errorf("Category() = %s, want 0x0200", o.Category())
	}
}

func mustPaths(b []byte) []DevicePath {
	p, err := ParseDevicePaths(b)
	if err != nil {
		panic(err)
	}
	return p
}

func TestParseVariables(t *testing.T) {
	if _, _, err := ParseVariable([]byte{6, 0, 0}); !errors.Is(err, ErrMalformed) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ParseVariable(3 bytes) error = %v", err)
	}
	attrs, v, err := ParseVariable([]byte{0x27, 0, 0, 0, 1})
	if err != nil || attrs != AttrNonVolatile|AttrBootServiceAccess|AttrRuntimeAccess|AttrTimeBasedAuthenticatedWriteAccess || !cmp.Equal(v, []byte{1}) {
		t.Errorf("ParseVariable = %#x, %v, %v", attrs, v, err)
	}
	for _, tt := range []struct {
		in      []byte
		want    bool
		wantErr bool
	}{{[]byte{0}, false, false}, {[]byte{1}, true, false}, {[]byte{2}, false, true}, {nil, false, true}, {[]byte{1, 0}, false, true},
		{[]byte("00000000: 0600 0000 00"), false, true}} {
		got, err := ParseBool(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Errorf("ParseBool(%v) = %v, %v", tt.in, got, err)
		}
	}
	if id, err := ParseBootID([]byte{0x1A, 0}); err != nil || id.String() != "001A" || id.VariableName() != "Boot001A" {
		t.Errorf("ParseBootID = %v, %v", id, err)
	}
	if _, err := ParseBootID([]byte{1, 0, 0}); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseBootID(3 bytes) error = %v", err)
	}
	if s, err := ParseUTF16String(utf16Bytes("arch.conf")); err != nil || s != "arch.conf" {
		t.Errorf("ParseUTF16String = %q, %v", s, err)
	}
	if s, err := ParseUTF16String([]byte{'a', 0, 'b', 0}); err != nil || s != "ab" {
		t.Errorf("ParseUTF16String(unterminated) = %q, %v", s, err)
	}
	if s, _ := ParseUTF16String([]byte{0x00, 0xD8, 'a', 0}); s != "\uFFFDa" {
		t.Errorf("ParseUTF16String(lone surrogate) = %q", s)
	}
	for _, in := range []string{"Boot0000", "BootFFFF", "Boot001A"} {
		if _, ok := parseBootVariableName(in); !ok {
			t.Errorf("%s not recognised", in)
		}
	}
	for _, in := range []string{"BootOrder", "BootNext", "Boot001a", "Boot00001", "Boot", "Driver0001"} {
		if _, ok := parseBootVariableName(in); ok {
			t.Errorf("%s recognised as Boot####", in)
		}
	}
}

func TestGUID(t *testing.T) {
	const s = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
	g := MustParseGUID("8BE4DF61-93CA-11D2-AA0D-00E098032B8C")
	if g.String() != s {
		t.Errorf("String() = %s", g)
	}
	// In memory the first three fields are little-endian (UEFI appendix A).
	if want := []byte{0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c}; !cmp.Equal(g[:], want) {
		t.Errorf("bytes % x", g[:])
	}
	for _, bad := range []string{"", "8be4df61-93ca-11d2-aa0d-00e098032b8", "8be4df61x93ca-11d2-aa0d-00e098032b8c", "zbe4df61-93ca-11d2-aa0d-00e098032b8c"} {
		if _, err := ParseGUID(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseGUID(%q) error = %v", bad, err)
		}
	}
}
