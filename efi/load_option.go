package efi

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Load option attributes (UEFI 2.10 section 3.1.3).
const (
	LoadOptionActive         = 0x00000001
	LoadOptionForceReconnect = 0x00000002
	LoadOptionHidden         = 0x00000008
	LoadOptionCategory       = 0x00001F00
	LoadOptionCategoryBoot   = 0x00000000
	LoadOptionCategoryApp    = 0x00000100
)

// LoadOption is a decoded EFI_LOAD_OPTION, the value of a Boot####, Driver####,
// SysPrep#### or PlatformRecovery#### variable (UEFI 2.10 section 3.1.3).
type LoadOption struct {
	Attributes uint32
	// Description is the UTF-16 description, as the firmware's boot menu
	// shows it.
	Description string
	// FilePaths holds the device paths of FilePathList; the first is the
	// option's image or device, later ones are optional (for example an
	// initrd).
	FilePaths []DevicePath
	// OptionalData is what follows FilePathList: arguments for the image or
	// vendor data. It aliases the parsed buffer.
	OptionalData []byte
}

// Active reports LOAD_OPTION_ACTIVE: the boot manager tries the option.
func (o *LoadOption) Active() bool { return o.Attributes&LoadOptionActive != 0 }

// Hidden reports LOAD_OPTION_HIDDEN: the option is not shown in menus.
func (o *LoadOption) Hidden() bool { return o.Attributes&LoadOptionHidden != 0 }

// Category returns "boot" (LOAD_OPTION_CATEGORY_BOOT), "app"
// (LOAD_OPTION_CATEGORY_APP) or the reserved category value in hex.
func (o *LoadOption) Category() string {
	switch c := o.Attributes & LoadOptionCategory; c {
	case LoadOptionCategoryBoot:
		return "boot"
	case LoadOptionCategoryApp:
		return "app"
	default:
		return fmt.Sprintf("0x%04X", c)
	}
}

// DevicePath returns the text of the first device path ("" when none
// decoded).
func (o *LoadOption) DevicePath() string {
	if len(o.FilePaths) == 0 {
		return ""
	}
	return o.FilePaths[0].String()
}

// ParseLoadOption decodes an EFI_LOAD_OPTION (the variable value, without the
// efivarfs attribute word). Layout: Attributes 00h (UINT32),
// FilePathListLength 04h (UINT16), Description 06h (NUL-terminated UTF-16),
// FilePathList (FilePathListLength bytes), OptionalData (the rest).
//
// On malformed input it returns what decoded (nil only when not even the
// attributes were present) and an error wrapping ErrMalformed.
func ParseLoadOption(b []byte) (*LoadOption, error) {
	if len(b) < 6 {
		return nil, fmt.Errorf("efi: load option of %d bytes: %w: %w", len(b), ErrMalformed, io.ErrUnexpectedEOF)
	}
	o := &LoadOption{Attributes: binary.LittleEndian.Uint32(b[0:])}
	pathLen := int(binary.LittleEndian.Uint16(b[4:]))
	desc, n := decodeUTF16(b[6:])
	o.Description = desc
	if n < 0 {
		return o, fmt.Errorf("efi: load option description has no NUL terminator: %w: %w", ErrMalformed, io.ErrUnexpectedEOF)
	}
	off := 6 + n
	if pathLen > len(b)-off {
		paths, _ := ParseDevicePaths(b[off:])
		o.FilePaths = paths
		return o, fmt.Errorf("efi: load option FilePathListLength %d runs past the %d bytes left: %w: %w", pathLen, len(b)-off, ErrMalformed, io.ErrUnexpectedEOF)
	}
	paths, err := ParseDevicePaths(b[off : off+pathLen])
	o.FilePaths = paths
	o.OptionalData = b[off+pathLen:]
	if err != nil {
		return o, fmt.Errorf("efi: load option file path list: %w", err)
	}
	if len(paths) == 0 {
		return o, fmt.Errorf("efi: load option has an empty file path list: %w", ErrMalformed)
	}
	return o, nil
}
