package collectors

import (
	"strconv"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/prometheus/client_golang/prometheus"
)

// NodeLabelPrefix namespaces the node labels bootinfo writes for
// node-feature-discovery. A subdomain of feature.node.kubernetes.io:
// nfd-master accepts it whatever its -deny-label-ns says (it cannot deny
// that namespace or its subdomains), so no NFD configuration is needed,
// and it still tells bootinfo's labels from NFD's built-in ones.
const NodeLabelPrefix = "bootinfo.feature.node.kubernetes.io/"

// The Microsoft CAs whose presence the node labels tell (names as in
// efi.KnownCAs).
const (
	uefiCA2023 = "Microsoft UEFI CA 2023"
	kekCA2023  = "Microsoft Corporation KEK 2K CA 2023"
)

// NodeLabels returns the node labels the outcomes of the firmware and
// bootloader collectors support, by name without NodeLabelPrefix:
//
//   - firmware.mode: uefi, bios, none or unknown (the firmware section's
//     mode);
//   - secure-boot.state: enabled, disabled, unsupported or unknown;
//   - secure-boot.db.microsoft-uefi-ca-2023: true when db holds Microsoft
//     UEFI CA 2023 and dbx does not revoke it, which a shim signed only by
//     that CA needs to boot; false otherwise;
//   - secure-boot.kek.microsoft-kek-ca-2023: likewise for Microsoft
//     Corporation KEK 2K CA 2023 in KEK, which db and dbx updates signed
//     with it need;
//   - reboot-required: true or false (the bootloader section's).
//
// A label whose fact is not known is left out rather than guessed: all of
// a collector's when it failed or is off, the CA labels without UEFI or
// when a store they depend on could not be read.
func NodeLabels(outcomes []Outcome) map[string]string {
	labels := map[string]string{}
	for _, o := range outcomes {
		if o.Snapshot == nil {
			continue
		}
		switch sec := o.Snapshot.Section.(type) {
		case *FirmwareSection:
			firmwareLabels(labels, sec)
		case *BootloaderSection:
			if _, failed := sec.Errors["reboot_required"]; !failed {
				labels["reboot-required"] = strconv.FormatBool(sec.RebootRequired)
			}
		}
	}
	return labels
}

func firmwareLabels(labels map[string]string, sec *FirmwareSection) {
	if sec.BootState == nil {
		return
	}
	labels["firmware.mode"] = string(sec.Mode)
	labels["secure-boot.state"] = sec.SecureBoot
	if sec.Mode != efi.ModeUEFI {
		return
	}
	failed := func(stores ...string) bool {
		for _, s := range append(stores, "efivars", efi.StoreDBX) {
			if _, ok := sec.Errors[s]; ok {
				return true
			}
		}
		return false
	}
	trusted := func(store, ca string) string {
		home, revoked := false, false
		for _, p := range sec.SecureBootKnownCAs {
			if p.CA != ca || !p.Present {
				continue
			}
			home = home || p.Store == store
			revoked = revoked || p.Store == efi.StoreDBX
		}
		return strconv.FormatBool(home && !revoked)
	}
	if !failed(efi.StoreDB) {
		labels["secure-boot.db.microsoft-uefi-ca-2023"] = trusted(efi.StoreDB, uefiCA2023)
	}
	if !failed(efi.StoreKEK) {
		labels["secure-boot.kek.microsoft-kek-ca-2023"] = trusted(efi.StoreKEK, kekCA2023)
	}
}

// FeatureFileStats is what the writer of the node-feature-discovery
// feature file has done since the agent started.
type FeatureFileStats struct {
	// Success is whether the last update left the file as the labels
	// say: written, or already so.
	Success bool
	// Writes and Failures count the writes made and the updates that
	// failed.
	Writes, Failures uint64
}

type featureFileCollector struct {
	stats                     func() FeatureFileStats
	success, writes, failures *prometheus.Desc
}

// NewFeatureFileCollector reports the feature file writer's stats, which
// it reads at every scrape.
func NewFeatureFileCollector(stats func() FeatureFileStats) prometheus.Collector {
	return &featureFileCollector{
		stats:    stats,
		success:  desc("nfd_feature_file_success", "Whether the last update of the node-feature-discovery feature file (--nfd.features-dir) succeeded (1): written, or already up to date; 0 when it could not be written or a label had to be left out (see the log)."),
		writes:   desc("nfd_feature_file_writes_total", "Times the node-feature-discovery feature file was written: at start, when a node label changed, and before its expiry-time."),
		failures: desc("nfd_feature_file_failures_total", "Updates of the node-feature-discovery feature file that failed: the directory is missing or not writable, or a label was left out."),
	}
}

func (c *featureFileCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.success
	ch <- c.writes
	ch <- c.failures
}

func (c *featureFileCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- gauge(c.success, boolFloat(s.Success))
	ch <- constMetric(c.writes, prometheus.CounterValue, float64(s.Writes))
	ch <- constMetric(c.failures, prometheus.CounterValue, float64(s.Failures))
}
