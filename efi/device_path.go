package efi

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Device path node types (UEFI 2.10 section 10.3.1, Table 10.2).
const (
	TypeHardware  = 0x01
	TypeACPI      = 0x02
	TypeMessaging = 0x03
	TypeMedia     = 0x04
	TypeBBS       = 0x05
	TypeEnd       = 0x7F
)

// Sub-types of the End type (section 10.3.1).
const (
	SubTypeEndInstance = 0x01
	SubTypeEndEntire   = 0xFF
)

// nodeHeaderLen is the size of EFI_DEVICE_PATH_PROTOCOL: Type (00h), SubType
// (01h), Length (02h, UINT16, including the header).
const nodeHeaderLen = 4

// Node is one device path node: its type, sub-type and the bytes after the
// 4-byte header. Data aliases the buffer it was parsed from.
type Node struct {
	Type    uint8
	SubType uint8
	Data    []byte
}

// IsEndInstance reports whether n separates two instances of a multi-instance
// device path.
func (n Node) IsEndInstance() bool { return n.Type == TypeEnd && n.SubType == SubTypeEndInstance }

// DevicePath is one device path: its nodes in order, including end-of-instance
// separators but not the terminating end-of-entire-path node.
type DevicePath []Node

// ParseDevicePath decodes one device path from b, up to and including its
// end-of-entire-path node. Bytes after that node are ignored. A node whose
// length is less than 4 or runs past b, or a path without an end node, returns
// the nodes decoded so far and an error wrapping ErrMalformed.
func ParseDevicePath(b []byte) (DevicePath, error) {
	p, _, err := parseDevicePath(b)
	return p, err
}

// ParseDevicePaths decodes a packed list of device paths, such as a load
// option's FilePathList, which fills b exactly.
func ParseDevicePaths(b []byte) ([]DevicePath, error) {
	var paths []DevicePath
	for off := 0; off < len(b); {
		p, n, err := parseDevicePath(b[off:])
		if len(p) > 0 || err == nil {
			paths = append(paths, p)
		}
		if err != nil {
			return paths, fmt.Errorf("efi: device path %d at offset %d: %w", len(paths), off, err)
		}
		off += n
	}
	return paths, nil
}

// parseDevicePath returns the path and the number of bytes it used.
func parseDevicePath(b []byte) (DevicePath, int, error) {
	var p DevicePath
	off := 0
	for {
		if len(b)-off < nodeHeaderLen {
			if off == len(b) {
				return p, off, fmt.Errorf("efi: device path has no end node: %w: %w", ErrMalformed, io.ErrUnexpectedEOF)
			}
			return p, len(b), fmt.Errorf("efi: device path node header at offset %d truncated: %w: %w", off, ErrMalformed, io.ErrUnexpectedEOF)
		}
		typ, sub := b[off], b[off+1]
		length := int(binary.LittleEndian.Uint16(b[off+2:]))
		if length < nodeHeaderLen {
			return p, len(b), fmt.Errorf("efi: device path node %d (type %#x) at offset %d has length %d: %w", len(p), typ, off, length, ErrMalformed)
		}
		if length > len(b)-off {
			return p, len(b), fmt.Errorf("efi: device path node %d (type %#x) at offset %d has length %d, %d bytes left: %w: %w", len(p), typ, off, length, len(b)-off, ErrMalformed, io.ErrUnexpectedEOF)
		}
		n := Node{Type: typ, SubType: sub, Data: b[off+nodeHeaderLen : off+length : off+length]}
		off += length
		if typ == TypeEnd && sub == SubTypeEndEntire {
			return p, off, nil
		}
		p = append(p, n)
	}
}

// nodesBytes re-encodes p followed by an end-of-entire-path node (used by
// tests and fuzz seeds).
func (p DevicePath) nodesBytes() []byte {
	var b []byte
	for _, n := range p {
		b = append(b, n.Type, n.SubType, 0, 0)
		binary.LittleEndian.PutUint16(b[len(b)-2:], uint16(nodeHeaderLen+len(n.Data)))
		b = append(b, n.Data...)
	}
	return append(b, TypeEnd, SubTypeEndEntire, nodeHeaderLen, 0)
}
