package collectors

import (
	"context"
	"errors"
	iofs "io/fs"
	"strconv"
	"sync"
	"time"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/prometheus/client_golang/prometheus"
)

// FirmwareConfig holds the firmware collector's options.
type FirmwareConfig struct {
	// Refresh is how old the cached EFI variables may grow before they are
	// read again (BootOrder and BootNext change when efibootmgr writes them;
	// everything else only at the next boot). 0 reads them once.
	Refresh time.Duration
}

// FirmwareSection is the JSON section "firmware". Its mode is
// decideFirmwareMode's: uefi, bios, none or unknown, with ModeEvidence the
// facts it was decided on.
type FirmwareSection struct {
	*efi.BootState
	ModeEvidence []string  `json:"mode_evidence"`
	TPMs         []efi.TPM `json:"tpms"`

	// What the Secure Boot signature databases and shim's MOK lists
	// trust (efi.FS.Trust); empty without UEFI.
	SecureBootCertificates []efi.Certificate     `json:"secure_boot_certificates"`
	SecureBootHashes       []efi.HashCount       `json:"secure_boot_hashes"`
	SecureBootKnownCAs     []efi.KnownCAPresence `json:"secure_boot_known_cas"`
	SbatLevel              *efi.SbatLevel        `json:"sbat_level"`
	MokValidation          string                `json:"mok_validation,omitempty"`
}

type firmwareCollector struct {
	fs    efi.FS
	sys   hostfile.Root
	dmi   dmi.FS
	cache snapshotCache
	// mode and modeEvidence are the firmware mode once decided: how the
	// running kernel was started cannot change before the next boot, so
	// it is judged again only while the evidence leaves it unknown.
	// Builds may overlap; modeMu guards them.
	modeMu       sync.Mutex
	mode         efi.Mode
	modeEvidence []string

	info, setupMode, bits, entries, entryInfo, varErrors, tpmInfo *prometheus.Desc
	trust                                                         trustDescs
}

// NewFirmwareCollector reports how the machine booted: UEFI, legacy BIOS or
// no firmware at all (with the evidence),
// Secure Boot and Setup Mode, what the Secure Boot databases trust, the EFI
// boot entries, and the TPM.
func NewFirmwareCollector(cfg Config) (Collector, error) {
	fs, err := efi.NewFS(cfg.Paths.SysFS)
	if err != nil {
		return nil, err
	}
	return &firmwareCollector{
		fs:        fs,
		sys:       hostfile.NewRoot(cfg.Paths.SysFS),
		dmi:       dmi.NewFS(cfg.Paths.SysFS),
		cache:     snapshotCache{refresh: cfg.Firmware.Refresh},
		info:      desc("firmware_info", "How the machine booted: mode (uefi, bios, none when no firmware ran before the kernel, unknown without evidence; see the JSON section's mode_evidence) and secure_boot (enabled, disabled, unsupported, unknown); value 1.", "mode", "secure_boot"),
		setupMode: desc("firmware_setup_mode", "Whether UEFI Setup Mode is on (1): platform keys can be enrolled without authentication."),
		bits:      desc("firmware_word_size_bytes", "Word size of the UEFI firmware in bytes (4 or 8; fw_platform_size 32 or 64)."),
		entries:   desc("efi_boot_entries", "Number of Boot#### load options the firmware holds."),
		entryInfo: desc("efi_boot_entry_info", "One EFI boot entry (Boot####); current is true for the entry this boot came from; value 1.", "id", "description", "active", "current"),
		varErrors: desc("efi_variable_errors", "Number of EFI variables that exist but could not be read or decoded (see the JSON section's errors)."),
		tpmInfo:   desc("tpm_info", "A Trusted Platform Module the kernel found; version is the major version (1 or 2, empty when unknown); value 1.", "name", "version"),
		trust:     newTrustDescs(),
	}, nil
}

// Collect reads the EFI variables again once the last reading is older
// than FirmwareConfig.Refresh.
func (c *firmwareCollector) Collect(ctx context.Context) (*Snapshot, error) {
	return c.cache.get(c.read)
}

func (c *firmwareCollector) read() (*Snapshot, error) {
	st, err := c.fs.BootState()
	if err != nil {
		return nil, err
	}
	sec := &FirmwareSection{BootState: st, TPMs: []efi.TPM{}}
	st.Mode, sec.ModeEvidence = c.firmwareMode()
	if tpms, err := c.fs.TPMs(); err == nil {
		sec.TPMs = tpms
	} else if !errors.Is(err, iofs.ErrNotExist) {
		st.Errors.Add("tpm", err)
	}
	if tr, err := c.fs.Trust(); err != nil {
		st.Errors.Add("efivars", err)
	} else {
		sec.SecureBootCertificates, sec.SecureBootHashes, sec.SecureBootKnownCAs = tr.Certificates, tr.Hashes, tr.KnownCAs
		sec.SbatLevel, sec.MokValidation = tr.SbatLevel, tr.MokValidation
		for k, err := range tr.Errors {
			st.Errors.Add(k, err)
		}
	}
	snap := &Snapshot{Section: sec, Metrics: c.metrics(sec), Faults: map[string]string{}}
	for f, err := range st.Errors {
		snap.Faults[f] = err.Error()
	}
	return snap, nil
}

// firmwareMode decides the firmware mode the first time, and again only
// while it is unknown.
func (c *firmwareCollector) firmwareMode() (efi.Mode, []string) {
	c.modeMu.Lock()
	defer c.modeMu.Unlock()
	if c.mode == "" || c.mode == efi.ModeUnknown {
		c.mode, c.modeEvidence = decideFirmwareMode(readFirmwareFacts(c.sys, c.dmi))
	}
	return c.mode, c.modeEvidence
}

func (c *firmwareCollector) metrics(sec *FirmwareSection) []prometheus.Metric {
	st := sec.BootState
	ms := []prometheus.Metric{gauge(c.info, 1, string(st.Mode), st.SecureBoot)}
	if st.SetupMode != nil {
		ms = append(ms, gauge(c.setupMode, boolFloat(*st.SetupMode)))
	}
	if st.PlatformBits != 0 {
		ms = append(ms, gauge(c.bits, float64(st.PlatformBits)/8))
	}
	if st.Mode == efi.ModeUEFI {
		ms = append(ms, gauge(c.entries, float64(len(st.BootEntries))))
		for _, e := range st.BootEntries {
			current := st.BootCurrent != nil && *st.BootCurrent == e.ID
			ms = append(ms, gauge(c.entryInfo, 1, e.ID.String(), e.Description, strconv.FormatBool(e.Active), strconv.FormatBool(current)))
		}
		ms = append(ms, gauge(c.varErrors, float64(len(st.Errors))))
		ms = append(ms, c.trust.trustMetrics(sec, st.Errors)...)
	}
	for _, t := range sec.TPMs {
		v := ""
		if t.VersionMajor != 0 {
			v = strconv.Itoa(t.VersionMajor)
		}
		ms = append(ms, gauge(c.tpmInfo, 1, t.Name, v))
	}
	return ms
}

// trustDescs are the metrics of what the Secure Boot databases trust
// (firmware_trust.go makes their samples).
type trustDescs struct {
	notAfter, signatures, knownCA *prometheus.Desc
}

func newTrustDescs() trustDescs {
	return trustDescs{
		notAfter:   desc("secure_boot_certificate_not_after_seconds", "When a certificate of a Secure Boot signature database (PK, KEK, db, dbx) or of shim's MOK lists (MokList, MokListX) expires, in seconds since the epoch; subject is the certificate's distinguished name, serial upper-case hex.", "store", "subject", "serial"),
		signatures: desc("secure_boot_signatures", "Number of signatures a Secure Boot signature database or MOK list holds by type: x509 counts certificates, sha256, x509_sha256, ... count hashes.", "store", "type"),
		knownCA:    desc("secure_boot_known_ca", "Whether a store holds one of Microsoft's Secure Boot CAs (1) or not (0), identified by fingerprint or subject: each CA in its home store (KEK or db) and in dbx, where it is revoked.", "store", "ca"),
	}
}
