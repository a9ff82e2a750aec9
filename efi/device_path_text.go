package efi

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// String returns the device path in the text notation of UEFI 2.10 section
// 10.6: nodes joined by "/", instances separated by ",".
func (p DevicePath) String() string {
	var sb strings.Builder
	first := true
	for _, n := range p {
		if n.IsEndInstance() {
			sb.WriteByte(',')
			first = true
			continue
		}
		if !first {
			sb.WriteByte('/')
		}
		first = false
		sb.WriteString(n.String())
	}
	return sb.String()
}

// String returns the node's text form (UEFI 2.10 section 10.6.1.6, "Text
// Device Node Reference"). Node types without a specific form, and nodes too
// short for their type, use the generic Path(Type,SubType,Data) form.
func (n Node) String() string {
	if s, ok := n.text(); ok {
		return s
	}
	return n.generic()
}

// generic is Path(Type,SubType[,HexData]) with decimal type and sub-type.
func (n Node) generic() string {
	if len(n.Data) == 0 {
		return fmt.Sprintf("Path(%d,%d)", n.Type, n.SubType)
	}
	return fmt.Sprintf("Path(%d,%d,%s)", n.Type, n.SubType, upperHex(n.Data))
}

func (n Node) text() (string, bool) {
	d := n.Data
	switch n.Type {
	case TypeHardware:
		return hardwareText(n.SubType, d)
	case TypeACPI:
		return acpiText(n.SubType, d)
	case TypeMessaging:
		return messagingText(n.SubType, d)
	case TypeMedia:
		return mediaText(n.SubType, d)
	case TypeBBS:
		return bbsText(n.SubType, d)
	case TypeEnd:
		if n.SubType == SubTypeEndInstance && len(d) == 0 {
			return ",", true
		}
	}
	return "", false
}

// Offsets below are into Data, which starts at node offset 04h; comments give
// the node offsets of UEFI 2.10 section 10.3.

func hardwareText(sub uint8, d []byte) (string, bool) {
	switch sub {
	case 0x01: // 10.3.2.1 PCI: Function 04h, Device 05h.
		if len(d) == 2 {
			return fmt.Sprintf("Pci(0x%X,0x%X)", d[1], d[0]), true
		}
	case 0x02: // 10.3.2.2 PCCARD: Function Number 04h.
		if len(d) == 1 {
			return fmt.Sprintf("PcCard(0x%X)", d[0]), true
		}
	case 0x03: // 10.3.2.3 Memory Mapped: Memory Type 04h, Start 08h, End 10h.
		if len(d) == 20 {
			return fmt.Sprintf("MemoryMapped(0x%X,0x%X,0x%X)", le32(d, 0), le64(d, 4), le64(d, 12)), true
		}
	case 0x04: // 10.3.2.4 Vendor: GUID 04h, data 14h.
		return vendorText("VenHw", d)
	case 0x05: // 10.3.2.5 Controller: Controller Number 04h.
		if len(d) == 4 {
			return fmt.Sprintf("Ctrl(0x%X)", le32(d, 0)), true
		}
	case 0x06: // 10.3.2.6 BMC: Interface Type 04h, Base Address 05h.
		if len(d) == 9 {
			return fmt.Sprintf("BMC(0x%X,0x%X)", d[0], le64(d, 1)), true
		}
	}
	return "", false
}

// eisaID decodes a compressed EISA ID as ACPI _HID/_CID values use it: the
// low 16 bits hold three 5-bit letters, the high 16 bits the product number.
func eisaID(v uint32) string {
	if v == 0 { // an absent _CID
		return "0"
	}
	vendor := uint16(v)
	return fmt.Sprintf("%c%c%c%04X",
		'@'+byte(vendor>>10&0x1F), '@'+byte(vendor>>5&0x1F), '@'+byte(vendor&0x1F),
		v>>16)
}

const (
	pnpVendor    = 0x41D0 // "PNP" compressed
	hidPCIRoot   = 0x0A03<<16 | pnpVendor
	hidPCIeRoot  = 0x0A08<<16 | pnpVendor
	hidFloppy    = 0x0604<<16 | pnpVendor
	hidKeyboard  = 0x0301<<16 | pnpVendor
	hidSerial    = 0x0501<<16 | pnpVendor
	hidParallel  = 0x0401<<16 | pnpVendor
	acpiDataSize = 8
)

// acpiNodeNames are the ACPI _HIDs that UEFI 10.6.1.3 prints by name, with
// the _UID as the only argument.
var acpiNodeNames = map[uint32]string{
	hidPCIRoot:  "PciRoot",
	hidPCIeRoot: "PcieRoot",
	hidFloppy:   "Floppy",
	hidKeyboard: "Keyboard",
	hidSerial:   "Serial",
	hidParallel: "ParallelPort",
}

func acpiText(sub uint8, d []byte) (string, bool) {
	switch sub {
	case 0x01: // 10.3.3 ACPI: _HID 04h, _UID 08h.
		if len(d) != acpiDataSize {
			return "", false
		}
		hid, uid := le32(d, 0), le32(d, 4)
		if name, ok := acpiNodeNames[hid]; ok {
			return fmt.Sprintf("%s(0x%X)", name, uid), true
		}
		return fmt.Sprintf("Acpi(%s,0x%X)", eisaID(hid), uid), true
	case 0x02: // 10.3.3 Expanded ACPI: _HID 04h, _UID 08h, _CID 0Ch, then _HIDSTR, _UIDSTR, _CIDSTR (NUL-terminated ASCII).
		if len(d) < 12 {
			return "", false
		}
		hid, uid, cid := le32(d, 0), le32(d, 4), le32(d, 8)
		strs, ok := asciiz(d[12:], 3)
		if !ok {
			return "", false
		}
		hidStr, uidStr, cidStr := strs[0], strs[1], strs[2]
		uidText := fmt.Sprintf("0x%X", uid)
		if uidStr != "" {
			uidText = uidStr
		}
		switch {
		case hid == hidPCIeRoot || cid == hidPCIeRoot:
			return "PcieRoot(" + uidText + ")", true
		case hid == hidPCIRoot || cid == hidPCIRoot:
			return "PciRoot(" + uidText + ")", true
		case hidStr == "" && cidStr == "" && uidStr != "":
			return fmt.Sprintf("AcpiExp(%s,%s,%s)", eisaID(hid), eisaID(cid), uidStr), true
		}
		return fmt.Sprintf("AcpiEx(%s,%s,0x%X,%s,%s,%s)", eisaID(hid), eisaID(cid), uid, hidStr, cidStr, uidStr), true
	case 0x03: // 10.3.3 _ADR: one or more UINT32 _ADR values from 04h.
		if len(d) == 0 || len(d)%4 != 0 {
			return "", false
		}
		parts := make([]string, len(d)/4)
		for i := range parts {
			parts[i] = fmt.Sprintf("0x%X", le32(d, 4*i))
		}
		return "AcpiAdr(" + strings.Join(parts, ",") + ")", true
	}
	return "", false
}

func messagingText(sub uint8, d []byte) (string, bool) {
	switch sub {
	case 0x01: // 10.3.4.1 ATAPI: PrimarySecondary 04h, SlaveMaster 05h, LUN 06h.
		if len(d) == 4 {
			ps, ms := "Primary", "Master"
			if d[0] != 0 {
				ps = "Secondary"
			}
			if d[1] != 0 {
				ms = "Slave"
			}
			return fmt.Sprintf("Ata(%s,%s,0x%X)", ps, ms, le16(d, 2)), true
		}
	case 0x02: // 10.3.4.2 SCSI: Target ID (PUN) 04h, LUN 06h.
		if len(d) == 4 {
			return fmt.Sprintf("Scsi(0x%X,0x%X)", le16(d, 0), le16(d, 2)), true
		}
	case 0x03: // 10.3.4.3 Fibre Channel: Reserved 04h, WWN 08h, LUN 10h.
		if len(d) == 20 {
			return fmt.Sprintf("Fibre(0x%X,0x%X)", le64(d, 4), le64(d, 12)), true
		}
	case 0x05: // 10.3.4.5 USB: Parent Port 04h, Interface 05h.
		if len(d) == 2 {
			return fmt.Sprintf("USB(0x%X,0x%X)", d[0], d[1]), true
		}
	case 0x0A: // 10.3.4.17 Vendor-defined messaging: GUID 04h, data 14h.
		return vendorMessagingText(d)
	case 0x0B: // 10.3.4.11 MAC: address 04h (32 bytes), IfType 24h.
		if len(d) == 33 {
			size := 32
			if d[32] == 0 || d[32] == 1 { // Ethernet: 6-byte address
				size = 6
			}
			return fmt.Sprintf("MAC(%s,0x%X)", upperHex(d[:size]), d[32]), true
		}
	case 0x0C: // 10.3.4.12 IPv4.
		return ipv4Text(d)
	case 0x0D: // 10.3.4.13 IPv6.
		return ipv6Text(d)
	case 0x0E: // 10.3.4.16 UART: Reserved 04h, Baud Rate 08h, Data Bits 10h, Parity 11h, Stop Bits 12h.
		return uartText(d)
	case 0x0F: // 10.3.4.7 USB Class: VID 04h, PID 06h, Class 08h, SubClass 09h, Protocol 0Ah.
		if len(d) == 7 {
			if name, ok := usbClassNames[d[4]]; ok {
				return fmt.Sprintf("%s(0x%X,0x%X,0x%X,0x%X)", name, le16(d, 0), le16(d, 2), d[5], d[6]), true
			}
			if name, ok := usbApplicationSubclassNames[d[5]]; ok && d[4] == 0xFE {
				return fmt.Sprintf("%s(0x%X,0x%X,0x%X)", name, le16(d, 0), le16(d, 2), d[6]), true
			}
			return fmt.Sprintf("UsbClass(0x%X,0x%X,0x%X,0x%X,0x%X)", le16(d, 0), le16(d, 2), d[4], d[5], d[6]), true
		}
	case 0x11: // 10.3.4.8 Device Logical Unit: LUN 04h.
		if len(d) == 1 {
			return fmt.Sprintf("Unit(0x%X)", d[0]), true
		}
	case 0x12: // 10.3.4.6 SATA: HBA Port 04h, Port Multiplier Port 06h, LUN 08h.
		if len(d) == 6 {
			return fmt.Sprintf("Sata(0x%X,0x%X,0x%X)", le16(d, 0), le16(d, 2), le16(d, 4)), true
		}
	case 0x14: // 10.3.4.14 VLAN: VLAN ID 04h.
		if len(d) == 2 {
			return fmt.Sprintf("Vlan(%d)", le16(d, 0)), true
		}
	case 0x17: // 10.3.4.24 NVM Express namespace: NSID 04h, EUI-64 08h.
		if len(d) == 12 {
			// The EUI-64 is an 8-byte big-endian identifier stored as a
			// little-endian UINT64: print the most significant byte first.
			e := d[4:12]
			return fmt.Sprintf("NVMe(0x%X,%02X-%02X-%02X-%02X-%02X-%02X-%02X-%02X)", le32(d, 0),
				e[7], e[6], e[5], e[4], e[3], e[2], e[1], e[0]), true
		}
	case 0x18: // 10.3.4.25 URI: the URI in ASCII from 04h, not NUL-terminated.
		return "Uri(" + printable(d) + ")", true
	case 0x19: // 10.3.4.26 UFS: Target ID 04h, LUN 05h.
		if len(d) == 2 {
			return fmt.Sprintf("UFS(0x%X,0x%X)", d[0], d[1]), true
		}
	case 0x1A: // 10.3.4.27 SD: Slot 04h.
		if len(d) == 1 {
			return fmt.Sprintf("SD(0x%X)", d[0]), true
		}
	case 0x1D: // 10.3.4.30 eMMC: Slot 04h.
		if len(d) == 1 {
			return fmt.Sprintf("eMMC(0x%X)", d[0]), true
		}
	}
	return "", false
}

// usbClassNames are the class-specific text forms of USB Class nodes
// (section 10.6.1.6): Name(VID,PID,SubClass,Protocol).
var usbClassNames = map[byte]string{
	0x01: "UsbAudio", 0x02: "UsbCDCControl", 0x03: "UsbHID", 0x06: "UsbImage",
	0x07: "UsbPrinter", 0x08: "UsbMassStorage", 0x09: "UsbHub", 0x0A: "UsbCDCData",
	0x0B: "UsbSmartCard", 0x0E: "UsbVideo", 0xDC: "UsbDiagnostic", 0xE0: "UsbWireless",
}

// usbApplicationSubclassNames name the sub-classes of class 0xFE
// (application specific): Name(VID,PID,Protocol).
var usbApplicationSubclassNames = map[byte]string{1: "UsbDeviceFirmwareUpdate", 2: "UsbIrdaBridge", 3: "UsbTestAndMeasurement"}

// uartText is Uart(Baud,DataBits,Parity,StopBits); zero means the device's
// default ("DEFAULT", or "D" for parity and stop bits).
func uartText(d []byte) (string, bool) {
	if len(d) != 15 {
		return "", false
	}
	baud, bits := "DEFAULT", "DEFAULT"
	if v := le64(d, 4); v != 0 {
		baud = fmt.Sprint(v)
	}
	if d[12] != 0 {
		bits = fmt.Sprint(d[12])
	}
	parity := enumText(uint64(d[13]), "D", "N", "E", "O", "M", "S")
	stop := enumText(uint64(d[14]), "D", "1", "1.5", "2")
	return fmt.Sprintf("Uart(%s,%s,%s,%s)", baud, bits, parity, stop), true
}

// Vendor GUIDs with text forms of their own (section 10.6.1.6, messaging).
var (
	guidPCANSI     = MustParseGUID("e0c14753-f9be-11d2-9a0c-0090273fc14d")
	guidVT100      = MustParseGUID("dfa66065-b419-11d3-9a2d-0090273fc14d")
	guidVT100Plus  = MustParseGUID("7baec70b-57e0-4c76-8e87-2f9e28088343")
	guidVTUTF8     = MustParseGUID("ad15a0d6-8bec-4acf-a073-d01de77e2d88")
	guidDebugPort  = MustParseGUID("eba4e8d2-3858-41ec-a281-2647ba9660d0")
	vendorTerminal = map[GUID]string{guidPCANSI: "VenPcAnsi()", guidVT100: "VenVt100()", guidVT100Plus: "VenVt100Plus()", guidVTUTF8: "VenUtf8()", guidDebugPort: "DebugPort()"}
)

func vendorMessagingText(d []byte) (string, bool) {
	if len(d) == 16 {
		if s, ok := vendorTerminal[GUID(d[:16])]; ok {
			return s, true
		}
	}
	return vendorText("VenMsg", d)
}

// vendorText is Ven*(GUID[,HexData]).
func vendorText(name string, d []byte) (string, bool) {
	if len(d) < 16 {
		return "", false
	}
	g := GUID(d[:16])
	if len(d) == 16 {
		return name + "(" + g.String() + ")", true
	}
	return name + "(" + g.String() + "," + upperHex(d[16:]) + ")", true
}

// networkProtocol names an IP protocol number as section 10.6.1.6 does.
func networkProtocol(p uint16) string {
	switch p {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	}
	return fmt.Sprintf("0x%X", p)
}

// ipv4Text: Local IP 04h, Remote IP 08h, Local Port 0Ch, Remote Port 0Eh,
// Protocol 10h, Static 12h, Gateway 13h, Subnet Mask 17h (length 27; UEFI 2.0
// nodes end after Static, length 19). Text (Table 10.67):
// IPv4(RemoteIp,Protocol,Static|DHCP,LocalIp[,GatewayIPAddress,SubnetMask]),
// the last two only when the node has them.
func ipv4Text(d []byte) (string, bool) {
	if len(d) != 15 && len(d) != 23 {
		return "", false
	}
	local, remote := netip.AddrFrom4([4]byte(d[0:4])), netip.AddrFrom4([4]byte(d[4:8]))
	origin := "DHCP"
	if d[14] != 0 {
		origin = "Static"
	}
	s := fmt.Sprintf("IPv4(%s,%s,%s,%s", remote, networkProtocol(le16(d, 12)), origin, local)
	if len(d) == 23 {
		s += fmt.Sprintf(",%s,%s", netip.AddrFrom4([4]byte(d[15:19])), netip.AddrFrom4([4]byte(d[19:23])))
	}
	return s + ")", true
}

// ipv6Text: Local IP 04h, Remote IP 14h, Local Port 24h, Remote Port 26h,
// Protocol 28h, IP Address Origin 2Ah, Prefix Length 2Bh, Gateway 2Ch (length
// 60; older nodes end after the origin, length 43). Text in the order of
// Table 10.67: IPv6(RemoteIp,Protocol,IPAddressOrigin,LocalIp[,GatewayIPAddress,
// PrefixLength]), the prefix length in decimal.
func ipv6Text(d []byte) (string, bool) {
	if len(d) != 39 && len(d) != 56 {
		return "", false
	}
	local, remote := netip.AddrFrom16([16]byte(d[0:16])), netip.AddrFrom16([16]byte(d[16:32]))
	origin := enumText(uint64(d[38]), "Static", "StatelessAutoConfigure", "StatefulAutoConfigure")
	s := fmt.Sprintf("IPv6(%s,%s,%s,%s", remote, networkProtocol(le16(d, 36)), origin, local)
	if len(d) == 56 {
		s += fmt.Sprintf(",%s,%d", netip.AddrFrom16([16]byte(d[40:56])), d[39])
	}
	return s + ")", true
}

func mediaText(sub uint8, d []byte) (string, bool) {
	switch sub {
	case 0x01: // 10.3.5.1 Hard Drive: Partition Number 04h, Start 08h, Size 10h, Signature 18h (16 bytes), MBR Type 28h, Signature Type 29h.
		if len(d) != 38 {
			return "", false
		}
		part, start, size := le32(d, 0), le64(d, 4), le64(d, 12)
		sig := d[20:36]
		var sigText string
		switch d[37] {
		case 0x01: // MBR: 4-byte disk signature
			sigText = fmt.Sprintf("MBR,0x%08X", le32(sig, 0))
		case 0x02: // GPT: partition GUID
			sigText = "GPT," + GUID(sig).String()
		default:
			sigText = fmt.Sprintf("%d,0", d[37])
		}
		return fmt.Sprintf("HD(%d,%s,0x%X,0x%X)", part, sigText, start, size), true
	case 0x02: // 10.3.5.2 CD-ROM: Boot Entry 04h, Partition Start 08h, Partition Size 10h.
		if len(d) == 20 {
			return fmt.Sprintf("CDROM(0x%X,0x%X,0x%X)", le32(d, 0), le64(d, 4), le64(d, 12)), true
		}
	case 0x03: // 10.3.5.3 Vendor-defined media: GUID 04h, data 14h.
		return vendorText("VenMedia", d)
	case 0x04: // 10.3.5.4 File Path: NUL-terminated UTF-16 path from 04h.
		// Table 10.67 gives the path string itself as the text, without a
		// File() wrapper (efibootmgr adds one; the UEFI shell does not).
		if len(d)%2 != 0 {
			return "", false
		}
		s, _ := decodeUTF16(d)
		return s, true
	case 0x05: // 10.3.5.5 Media Protocol: GUID 04h.
		if len(d) == 16 {
			return "Media(" + GUID(d).String() + ")", true
		}
	case 0x06: // 10.3.5.6 PIWG Firmware File: GUID 04h.
		if len(d) == 16 {
			return "FvFile(" + GUID(d).String() + ")", true
		}
	case 0x07: // 10.3.5.7 PIWG Firmware Volume: GUID 04h.
		if len(d) == 16 {
			return "Fv(" + GUID(d).String() + ")", true
		}
	case 0x08: // 10.3.5.8 Relative Offset Range: Reserved 04h, Start 08h, End 10h.
		if len(d) == 20 {
			return fmt.Sprintf("Offset(0x%X,0x%X)", le64(d, 4), le64(d, 12)), true
		}
	}
	return "", false
}

// bbsText: 10.3.6 BIOS Boot Specification: Device Type 04h, Status Flag 06h,
// Description (NUL-terminated ASCII) 08h. Text: BBS(Type,Description,Flags).
func bbsText(sub uint8, d []byte) (string, bool) {
	if sub != 0x01 || len(d) < 4 {
		return "", false
	}
	typ := enumText(uint64(le16(d, 0)), "", "Floppy", "HD", "CDROM", "PCMCIA", "USB", "Network")
	desc := d[4:]
	for i, c := range desc {
		if c == 0 {
			desc = desc[:i]
			break
		}
	}
	return fmt.Sprintf("BBS(%s,%s,0x%X)", typ, printable(desc), le16(d, 2)), true
}

// asciiz splits up to n NUL-terminated strings off b; the last may lack its
// terminator. It fails when b holds more than n strings' worth of data.
func asciiz(b []byte, n int) ([]string, bool) {
	out := make([]string, n)
	for i := range n {
		j := 0
		for j < len(b) && b[j] != 0 {
			j++
		}
		out[i] = printable(b[:j])
		if j < len(b) {
			j++
		}
		b = b[j:]
	}
	return out, len(b) == 0
}

// printable returns ASCII text with control and non-ASCII bytes replaced by
// '?', so firmware strings cannot inject escapes into logs or labels.
func printable(b []byte) string {
	buf := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7E {
			c = '?'
		}
		buf[i] = c
	}
	return string(buf)
}

func upperHex(b []byte) string { return fmt.Sprintf("%X", b) }

func le16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }

// enumText is names[v], or v in hex where names has no (or an empty) name.
func enumText(v uint64, names ...string) string {
	if v < uint64(len(names)) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("0x%X", v)
}

func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func le64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
