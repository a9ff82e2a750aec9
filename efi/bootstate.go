package efi

import (
	"encoding/json"
	"errors"
	"fmt"
	iofs "io/fs"
	"slices"
	"strings"
)

// Secure Boot states as BootState reports them.
const (
	SecureBootEnabled     = "enabled"
	SecureBootDisabled    = "disabled"
	SecureBootUnsupported = "unsupported" // legacy BIOS: no Secure Boot at all
	SecureBootUnknown     = "unknown"     // UEFI, but the variable is absent, unreadable or malformed
)

// BootState is the firmware's boot configuration as one snapshot, shaped for
// the JSON "firmware" section. Optional fields are nil (omitted) when the
// variable does not exist; a variable that exists but fails to read or decode
// is nil too and has an entry in Errors.
type BootState struct {
	// Mode is ModeUEFI, or ModeUnknown when there is no firmware/efi (the
	// firmware collector then decides from the SMBIOS tables too).
	Mode         Mode   `json:"mode"`
	PlatformBits int    `json:"platform_bits,omitempty"`
	SecureBoot   string `json:"secure_boot"`
	SetupMode    *bool  `json:"setup_mode,omitempty"`
	AuditMode    *bool  `json:"audit_mode,omitempty"`
	DeployedMode *bool  `json:"deployed_mode,omitempty"`
	// BootCurrent is the option this boot came from (JSON "0003").
	BootCurrent *BootID     `json:"boot_current,omitempty"`
	BootNext    *BootID     `json:"boot_next,omitempty"`
	BootOrder   []BootID    `json:"boot_order,omitempty"`
	BootEntries []BootEntry `json:"boot_entries,omitempty"`
	// LoaderEntryDefault and LoaderEntrySelected are systemd-boot's
	// variables; empty when another boot loader ran.
	LoaderEntryDefault  string `json:"loader_entry_default,omitempty"`
	LoaderEntrySelected string `json:"loader_entry_selected,omitempty"`
	// Errors maps a variable name ("SetupMode", "Boot0003"), "efivars" (the
	// directory) or "fw_platform_size" to what went wrong reading it. It is
	// nil when everything read cleanly.
	Errors FieldErrors `json:"errors,omitempty"`
}

// BootEntry is one Boot#### load option, decoded.
type BootEntry struct {
	ID          BootID `json:"id"`
	Description string `json:"description"`
	Active      bool   `json:"active"`
	Hidden      bool   `json:"hidden"`
	Category    string `json:"category"`
	// DevicePath is the text of the first device path of FilePathList.
	DevicePath      string `json:"device_path"`
	OptionalDataLen int    `json:"optional_data_len,omitempty"`
	// Attributes is the raw attribute word.
	Attributes uint32 `json:"-"`
}

// FieldErrors maps a field to its error; it marshals to JSON as strings.
type FieldErrors map[string]error

// MarshalJSON implements json.Marshaler.
func (e FieldErrors) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(e))
	for k, v := range e {
		m[k] = v.Error()
	}
	return json.Marshal(m)
}

// Add records err for field, making the map when it is nil.
func (e *FieldErrors) Add(field string, err error) {
	if *e == nil {
		*e = FieldErrors{}
	}
	(*e)[field] = err
}

// BootState reads the whole boot configuration in one pass: it lists efivarfs
// once and reads each relevant variable file once (the kernel limits
// unprivileged efivarfs reads to 100 per second). A variable that is missing
// is left out; one that fails is recorded in Errors and never hides the
// others. The error result is non-nil only when firmware/efi itself cannot be
// examined.
func (fs FS) BootState() (*BootState, error) {
	mode, err := fs.Mode()
	if err != nil {
		return nil, err
	}
	st := &BootState{Mode: mode, SecureBoot: SecureBootUnsupported}
	if mode != ModeUEFI {
		return st, nil
	}
	// Under UEFI, only the SecureBoot variable can say; firmware older than
	// UEFI 2.3.1 has none, and then nothing is known for sure.
	st.SecureBoot = SecureBootUnknown
	if bits, err := fs.PlatformBits(); err == nil {
		st.PlatformBits = bits
	} else if !errors.Is(err, iofs.ErrNotExist) {
		st.Errors.Add("fw_platform_size", err)
	}

	ents, err := fs.sys.ReadDir(efivarsDir)
	if err != nil {
		err = fmt.Errorf("efi: %w", err)
	} else if len(ents) == 0 {
		// The kernel creates firmware/efi/efivars as the mount point; empty,
		// it means efivarfs is not mounted (UEFI always has variables).
		err = fmt.Errorf("efi: %s is empty: %w", fs.sys.Path(efivarsDir), ErrEfivarfsNotMounted)
	}
	if err != nil {
		// efivarfs not mounted or not readable: nothing is known.
		st.SecureBoot = SecureBootUnknown
		st.Errors.Add("efivars", err)
		return st, nil
	}
	global := "-" + GlobalVariable.String()
	loader := "-" + LoaderVendor.String()
	var bootIDs []BootID
	present := map[string]bool{}
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), global); ok {
			present[name] = true
			if id, ok := parseBootVariableName(name); ok {
				bootIDs = append(bootIDs, id)
			}
		} else if name, ok := strings.CutSuffix(e.Name(), loader); ok {
			present["loader:"+name] = true
		}
	}

	read := func(name string, vendor GUID) ([]byte, bool) {
		_, v, err := fs.ReadVariable(name, vendor)
		if err != nil {
			if !errors.Is(err, iofs.ErrNotExist) { // removed since the listing: not a failure
				st.Errors.Add(name, err)
			}
			return nil, false
		}
		return v, true
	}
	// readGlobal reads a global variable the listing named.
	readGlobal := func(name string) ([]byte, bool) {
		if !present[name] {
			return nil, false
		}
		return read(name, GlobalVariable)
	}
	if present["SecureBoot"] {
		st.SecureBoot = SecureBootUnknown
		if sb := readParsed(st, readGlobal, "SecureBoot", ParseBool); sb != nil {
			st.SecureBoot = SecureBootDisabled
			if *sb {
				st.SecureBoot = SecureBootEnabled
			}
		}
	}
	st.SetupMode = readParsed(st, readGlobal, "SetupMode", ParseBool)
	st.AuditMode = readParsed(st, readGlobal, "AuditMode", ParseBool)
	st.DeployedMode = readParsed(st, readGlobal, "DeployedMode", ParseBool)
	st.BootCurrent = readParsed(st, readGlobal, "BootCurrent", ParseBootID)
	st.BootNext = readParsed(st, readGlobal, "BootNext", ParseBootID)
	if present["BootOrder"] {
		if v, ok := read("BootOrder", GlobalVariable); ok {
			ids, err := ParseBootOrder(v)
			if err != nil {
				st.Errors.Add("BootOrder", err)
			}
			st.BootOrder = ids
		}
	}

	slices.Sort(bootIDs)
	for _, id := range bootIDs {
		name := id.VariableName()
		v, ok := read(name, GlobalVariable)
		if !ok {
			continue
		}
		o, err := ParseLoadOption(v)
		if err != nil {
			st.Errors.Add(name, err)
		}
		if o == nil {
			continue
		}
		st.BootEntries = append(st.BootEntries, BootEntry{
			ID:              id,
			Description:     o.Description,
			Active:          o.Active(),
			Hidden:          o.Hidden(),
			Category:        o.Category(),
			DevicePath:      o.DevicePath(),
			OptionalDataLen: len(o.OptionalData),
			Attributes:      o.Attributes,
		})
	}

	for _, f := range []struct {
		name string
		dst  *string
	}{{"LoaderEntryDefault", &st.LoaderEntryDefault}, {"LoaderEntrySelected", &st.LoaderEntrySelected}} {
		if !present["loader:"+f.name] {
			continue
		}
		v, ok := read(f.name, LoaderVendor)
		if !ok {
			continue
		}
		s, err := ParseUTF16String(v)
		if err != nil {
			st.Errors.Add(f.name, err)
			continue
		}
		*f.dst = s
	}
	return st, nil
}

// readParsed reads the variable name with read and decodes it with parse. A
// variable that is absent, unreadable or malformed gives nil; read records
// an unreadable one in st.Errors, readParsed a malformed one.
func readParsed[T any](st *BootState, read func(string) ([]byte, bool), name string, parse func([]byte) (T, error)) *T {
	v, ok := read(name)
	if !ok {
		return nil
	}
	x, err := parse(v)
	if err != nil {
		st.Errors.Add(name, err)
		return nil
	}
	return &x
}
