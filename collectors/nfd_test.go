package collectors

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/nfd"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"
)

// msCA stands in for the Microsoft CA named cn: a certificate with its
// subject and issuer, which is how efi identifies a CA whose fingerprint it
// lacks.
func msCA(t *testing.T, cn string) []byte {
	t.Helper()
	now := time.Now()
	for _, k := range efi.KnownCAs {
		if k.Name == cn {
			return testutil.StandInCA(t, k.Subject, k.Issuer, now.AddDate(-1, 0, 0), now.AddDate(10, 0, 0))
		}
	}
	t.Fatalf("%s is not a known CA", cn)
	return nil
}

// TestNodeLabelsFromTheFirmwareCollector builds signature databases in a
// fake efivarfs, collects them with the firmware collector and checks the
// node labels made from its section.
func TestNodeLabelsFromTheFirmwareCollector(t *testing.T) {
	owner := efi.MustParseGUID("77fa9abd-0359-4d32-bd60-28f4e78f784b")
	uefi2023 := testutil.X509SignatureList(owner, msCA(t, uefiCA2023))
	uefi2011 := testutil.X509SignatureList(owner, msCA(t, "Microsoft Corporation UEFI CA 2011"))
	kek2011 := testutil.X509SignatureList(owner, msCA(t, "Microsoft Corporation KEK CA 2011"))
	kek2023 := testutil.X509SignatureList(owner, msCA(t, kekCA2023))
	db, global := efi.ImageSecurityDatabase.String(), efi.GlobalVariable.String()
	cat := func(lists ...[]byte) []byte { return bytes.Join(lists, nil) }

	for _, tc := range []struct {
		name string
		vars map[string][]byte // name-vendor: data
		want map[string]string
	}{{
		name: "2023 UEFI CA in db, 2011 KEK only",
		vars: map[string][]byte{"SecureBoot-" + global: {1}, "db-" + db: cat(uefi2011, uefi2023), "KEK-" + global: kek2011},
		want: map[string]string{"firmware.mode": "uefi", "secure-boot.state": "enabled", "secure-boot.db.microsoft-uefi-ca-2023": "true", "secure-boot.kek.microsoft-kek-ca-2023": "false"},
	}, {
		name: "2011 CAs only",
		vars: map[string][]byte{"SecureBoot-" + global: {1}, "db-" + db: uefi2011, "KEK-" + global: cat(kek2011, kek2023)},
		want: map[string]string{"firmware.mode": "uefi", "secure-boot.state": "enabled", "secure-boot.db.microsoft-uefi-ca-2023": "false", "secure-boot.kek.microsoft-kek-ca-2023": "true"},
	}, {
		name: "2023 UEFI CA revoked in dbx",
		vars: map[string][]byte{"SecureBoot-" + global: {0}, "db-" + db: uefi2023, "dbx-" + db: uefi2023},
		want: map[string]string{"firmware.mode": "uefi", "secure-boot.state": "disabled", "secure-boot.db.microsoft-uefi-ca-2023": "false", "secure-boot.kek.microsoft-kek-ca-2023": "false"},
	}, {
		name: "db cut short: its label is not guessed",
		vars: map[string][]byte{"SecureBoot-" + global: {1}, "db-" + db: uefi2023[:len(uefi2023)-10], "KEK-" + global: kek2023},
		want: map[string]string{"firmware.mode": "uefi", "secure-boot.state": "enabled", "secure-boot.kek.microsoft-kek-ca-2023": "true"},
	}, {
		name: "dbx cut short: neither CA label is guessed",
		vars: map[string][]byte{"SecureBoot-" + global: {1}, "db-" + db: uefi2023, "dbx-" + db: uefi2023[:40]},
		want: map[string]string{"firmware.mode": "uefi", "secure-boot.state": "enabled"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			sys := efiRoot(t, "64")
			for file, data := range tc.vars {
				name, vendor, _ := strings.Cut(file, "-")
				testutil.WriteEFIVariable(t, sys, name, vendor, data)
			}
			_, snap, _ := collectFirmware(t, sys, 0)
			got := NodeLabels([]Outcome{{Name: "firmware", Snapshot: snap}})
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("labels (-want +got):\n%s\nsection errors: %v", d, snap.Section.(*FirmwareSection).Errors)
			}
			checkNodeLabels(t, got)
		})
	}

	// Without UEFI: the mode and Secure Boot state the section has, and
	// no CA labels.
	_, snap, _ := collectFirmware(t, t.TempDir(), 0)
	sec := snap.Section.(*FirmwareSection)
	got := NodeLabels([]Outcome{{Name: "firmware", Snapshot: snap}})
	want := map[string]string{"firmware.mode": string(sec.Mode), "secure-boot.state": efi.SecureBootUnsupported}
	if d := cmp.Diff(want, got); d != "" || sec.Mode == efi.ModeUEFI {
		t.Errorf("without UEFI (mode %s), labels (-want +got):\n%s", sec.Mode, d)
	}
}

// checkNodeLabels holds labels to what NFD accepts.
func checkNodeLabels(t *testing.T, labels map[string]string) {
	t.Helper()
	for k, v := range labels {
		if err := nfd.ValidateLabel(NodeLabelPrefix+k, v); err != nil {
			t.Error(err)
		}
	}
}

func TestNodeLabelsRebootRequired(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Outcome
		want map[string]string
	}{
		{"required", Outcome{Snapshot: &Snapshot{Section: &BootloaderSection{RebootRequired: true}}}, map[string]string{"reboot-required": "true"}},
		{"not required", Outcome{Snapshot: &Snapshot{Section: &BootloaderSection{}}}, map[string]string{"reboot-required": "false"}},
		{"unknown", Outcome{Snapshot: &Snapshot{Section: &BootloaderSection{Errors: map[string]string{"reboot_required": "boom"}}}}, map[string]string{}},
		{"collector failed", Outcome{Err: errors.New("boom")}, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NodeLabels([]Outcome{tc.o})
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			checkNodeLabels(t, got)
		})
	}
}

// TestNodeLabelCAsAreKnown: the CAs the labels name are in efi's table,
// in the store the labels look in.
func TestNodeLabelCAsAreKnown(t *testing.T) {
	for ca, store := range map[string]string{uefiCA2023: efi.StoreDB, kekCA2023: efi.StoreKEK} {
		found := false
		for _, k := range efi.KnownCAs {
			found = found || k.Name == ca && k.Store == store
		}
		if !found {
			t.Errorf("efi.KnownCAs has no %q in %s", ca, store)
		}
	}
}

func TestFeatureFileMetrics(t *testing.T) {
	stats := FeatureFileStats{Success: false, Writes: 3, Failures: 2}
	c := NewFeatureFileCollector(func() FeatureFileStats { return stats })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := `
# HELP bootinfo_nfd_feature_file_failures_total Updates of the node-feature-discovery feature file that failed: the directory is missing or not writable, or a label was left out.
# TYPE bootinfo_nfd_feature_file_failures_total counter
bootinfo_nfd_feature_file_failures_total 2
# HELP bootinfo_nfd_feature_file_success Whether the last update of the node-feature-discovery feature file (--nfd.features-dir) succeeded (1): written, or already up to date; 0 when it could not be written or a label had to be left out (see the log).
# TYPE bootinfo_nfd_feature_file_success gauge
bootinfo_nfd_feature_file_success 0
# HELP bootinfo_nfd_feature_file_writes_total Times the node-feature-discovery feature file was written: at start, when a node label changed, and before its expiry-time.
# TYPE bootinfo_nfd_feature_file_writes_total counter
bootinfo_nfd_feature_file_writes_total 3
`
	if err := promtestutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := promtestutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %v", problems, err)
	}
}
