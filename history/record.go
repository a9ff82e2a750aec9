package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// Schema names the file format; Version is the version this package writes
// and reads. A change that older readers would misread bumps Version.
const (
	Schema  = "bootinfo.history"
	Version = 1
)

// MaxFileSize bounds the history file this package reads or writes
// (hostfile.LimitState). With a few kilobytes per boot it holds hundreds of
// boots.
const MaxFileSize = hostfile.LimitState

// Record describes one boot: what the host booted and on which hardware.
// The caller fills it from the host, firmware, dmi and systemd collectors.
// An empty string or zero number means "not known" (for example a field that
// needs root), never "absent"; Diff does not report a change from or to an
// unknown value.
type Record struct {
	// BootID is the kernel's random boot ID
	// (/proc/sys/kernel/random/boot_id); it keys the record.
	BootID string `json:"boot_id"`
	// BootTime is when the kernel started.
	BootTime time.Time `json:"boot_time"`
	// RecordedAt is when the agent first recorded this boot. Store.Record
	// keeps the first value across agent restarts within one boot.
	RecordedAt time.Time `json:"recorded_at,omitzero"`
	// KernelRelease is uname -r.
	KernelRelease string `json:"kernel_release"`
	// Cmdline is /proc/cmdline.
	Cmdline string `json:"cmdline"`
	// FirmwareMode is "uefi", "bios", "none" (no firmware ran before the
	// kernel) or "unknown" (efi.Mode), decided on FirmwareModeEvidence.
	// Records written before the evidence was kept have no evidence, and
	// their "bios" means only "not UEFI" (see Diff).
	FirmwareMode string `json:"firmware_mode"`
	// FirmwareModeEvidence lists the facts FirmwareMode was decided on
	// ("no /sys/firmware/efi", "SMBIOS 2.8 entry point present (_SM_)").
	FirmwareModeEvidence []string `json:"firmware_mode_evidence,omitempty"`
	// SecureBoot is efi.BootState.SecureBoot: "enabled", "disabled",
	// "unsupported" or "unknown".
	SecureBoot string `json:"secure_boot"`
	// BIOS identifies the firmware (SMBIOS type 0).
	BIOS BIOS `json:"bios"`
	// System identifies the machine (SMBIOS type 1).
	System System `json:"system"`
	// Processors describes the CPUs.
	Processors Processors `json:"processors"`
	// MemoryTotalBytes is the installed memory. The SMBIOS sum of memory
	// devices is stable across kernels; MemTotal from /proc/meminfo moves by
	// a few MiB with every kernel, which Diff tolerates (see Diff).
	MemoryTotalBytes uint64 `json:"memory_total_bytes"`
	// DIMMs lists the populated memory devices (SMBIOS type 17).
	DIMMs []DIMM `json:"dimms"`
	// DefaultTarget is systemd's default target, e.g. "graphical.target".
	DefaultTarget string `json:"default_target"`
	// CleanShutdownAt is set by Store.MarkCleanShutdown when the agent is
	// stopped at shutdown; absent when the boot has not ended or ended
	// without the agent being stopped.
	CleanShutdownAt *time.Time `json:"clean_shutdown_at,omitempty"`
}

// BIOS identifies the system firmware.
type BIOS struct {
	Vendor      string `json:"vendor"`
	Version     string `json:"version"`
	ReleaseDate string `json:"release_date"`
}

// System identifies the machine.
type System struct {
	UUID         string `json:"uuid"`
	SerialNumber string `json:"serial_number"`
	Manufacturer string `json:"manufacturer"`
	ProductName  string `json:"product_name"`
}

// Processors describes the CPUs: the model name and how many there are (the
// caller chooses what it counts, sockets or logical CPUs, and keeps to it).
type Processors struct {
	Model string `json:"model"`
	Count int    `json:"count"`
}

// DIMM is one populated memory device.
type DIMM struct {
	Locator      string `json:"locator"`
	SizeBytes    uint64 `json:"size_bytes"`
	PartNumber   string `json:"part_number"`
	SerialNumber string `json:"serial_number"`
}

// validate reports what makes r unusable as a history record.
func (r *Record) validate() error {
	switch {
	case r.BootID == "":
		return fmt.Errorf("%w: empty boot_id", ErrInvalidRecord)
	case len(r.BootID) > 128:
		return fmt.Errorf("%w: boot_id longer than 128 bytes", ErrInvalidRecord)
	case r.BootTime.IsZero():
		return fmt.Errorf("%w: boot %s has no boot_time", ErrInvalidRecord, r.BootID)
	}
	return nil
}

// clone returns a deep copy, so callers never share slices or pointers with
// the store.
func (r Record) clone() Record {
	if r.DIMMs != nil {
		r.DIMMs = append([]DIMM(nil), r.DIMMs...)
	}
	if r.FirmwareModeEvidence != nil {
		r.FirmwareModeEvidence = append([]string(nil), r.FirmwareModeEvidence...)
	}
	if r.CleanShutdownAt != nil {
		t := *r.CleanShutdownAt
		r.CleanShutdownAt = &t
	}
	return r
}

// file is the on-disk document.
type file struct {
	Schema  string            `json:"schema"`
	Version int               `json:"version"`
	Boots   []json.RawMessage `json:"boots"`
}

// ParseFile decodes a history file: the boots it holds, newest first. It
// keeps every valid record; when some records are invalid, the error (wrapping
// ErrCorrupt) lists them and the valid ones are still returned. A file that
// is not JSON (ErrCorrupt), not a bootinfo history (ErrForeign), of another
// version (ErrVersion) or larger than MaxFileSize (ErrTooLarge) yields no
// boots.
func ParseFile(b []byte) ([]Record, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxFileSize)
	}
	// Decode the envelope loosely first, so that a JSON document of another
	// shape (an array, a string, another program's object) is told apart
	// from broken JSON.
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%w: top level is a JSON %s, not an object", ErrForeign, typeErr.Value)
		}
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	var schema string
	if raw, ok := env["schema"]; !ok || json.Unmarshal(raw, &schema) != nil || schema != Schema {
		return nil, fmt.Errorf("%w: schema %.64q", ErrForeign, bytes.TrimSpace(env["schema"]))
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%w: version %d, this agent reads %d", ErrVersion, f.Version, Version)
	}
	boots := make([]Record, 0, len(f.Boots))
	seen := make(map[string]bool, len(f.Boots))
	var errs []error
	for i, raw := range f.Boots {
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil {
			errs = append(errs, fmt.Errorf("boot %d: %w", i, err))
			continue
		}
		if err := r.validate(); err != nil {
			errs = append(errs, fmt.Errorf("boot %d: %w", i, err))
			continue
		}
		if seen[r.BootID] {
			errs = append(errs, fmt.Errorf("boot %d: duplicate boot_id %s", i, r.BootID))
			continue
		}
		seen[r.BootID] = true
		boots = append(boots, r)
	}
	if len(errs) > 0 {
		return boots, fmt.Errorf("%w: %w", ErrCorrupt, errors.Join(errs...))
	}
	return boots, nil
}

// MarshalFile encodes boots (newest first) as a history file, failing with
// ErrTooLarge past MaxFileSize.
func MarshalFile(boots []Record) ([]byte, error) { return marshalFile(boots, MaxFileSize) }

func marshalFile(boots []Record, limit int) ([]byte, error) {
	f := struct {
		Schema  string   `json:"schema"`
		Version int      `json:"version"`
		Boots   []Record `json:"boots"`
	}{Schema, Version, boots}
	if f.Boots == nil {
		f.Boots = []Record{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("history: encode: %w", err)
	}
	b = append(b, '\n')
	if len(b) > limit {
		return nil, fmt.Errorf("%w: encoded history is %d bytes, limit %d", ErrTooLarge, len(b), limit)
	}
	return b, nil
}

// Serials returns the serial numbers and UUID that r holds (the system's
// and every DIMM's), leaving out the placeholders firmware ships with: the
// values that withholding (--no-collector.dmi.serials) must keep out of
// every output, also where they appear inside other text.
func (r Record) Serials() []string {
	var out []string
	if normUUID(r.System.UUID) != "" {
		out = append(out, r.System.UUID)
	}
	if s := normSerial(r.System.SerialNumber); s != "" {
		out = append(out, s)
	}
	for _, d := range r.DIMMs {
		if s := normSerial(d.SerialNumber); s != "" {
			out = append(out, s)
		}
	}
	return out
}
