package e2e

// Secure Boot lab (issue 16): the agent booted under OVMF with Secure Boot on,
// once with Microsoft's keys enrolled (Debian's OVMF_VARS_4M.ms.fd) and once
// with the snakeoil keys. What it reports of PK, KEK, db and dbx is checked
// against efitools and openssl reading the guest's own variables, and the
// guest's reading against the host's decode of the same variables.

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
	"github.com/google/go-cmp/cmp"
)

// EnvSecureBootMetricsOut names a file where TestSecureBootLab writes the
// /metrics text the agent served in the guest with Microsoft's keys
// enrolled, for tests of the alert rules built from its real output.
const EnvSecureBootMetricsOut = "BOOTINFO_SB_METRICS_OUT"

// Microsoft's 2011 CAs, which Debian's ms variable store enrols, where it
// enrols them (../shared/docs/firmware-lab.md), and their 2023 successors,
// which it does not.
var (
	microsoft2011 = map[string]string{
		"Microsoft Corporation KEK CA 2011":     "KEK",
		"Microsoft Windows Production PCA 2011": "db",
		"Microsoft Corporation UEFI CA 2011":    "db",
	}
	microsoft2023 = []string{
		"Microsoft Corporation KEK 2K CA 2023",
		"Microsoft UEFI CA 2023",
		"Microsoft Option ROM UEFI CA 2023",
		"Windows UEFI CA 2023",
	}
)

// labMetricsAddr is where the guest's agent serves; the guest has only its
// loopback interface.
const labMetricsAddr = "127.0.0.1:9798"

// guestMetricsScript starts the agent's server in the guest, fetches
// /metrics once it answers (for as long as the boot lasts, unless the
// server exits) and prints it.
const guestMetricsScript = `ip link set lo up
bootinfo serve --web.listen-address=` + labMetricsAddr + ` --state.dir=/tmp/bootinfo-state >/tmp/serve.log 2>&1 &
pid=$!
until wget -q -O /tmp/metrics http://` + labMetricsAddr + `/metrics; do
	if ! kill -0 $pid 2>/dev/null; then echo "bootinfo serve exited:" >&2; cat /tmp/serve.log >&2; exit 1; fi
	sleep 0.2
done
kill $pid
cat /tmp/metrics
`

func TestSecureBootLab(t *testing.T) {
	lab := firmwareLab(t)
	tools := secureBootTools(t)
	for _, fw := range []qemulab.Firmware{qemulab.OVMFMicrosoft, qemulab.OVMFSecureBoot} {
		t.Run(fw.String(), func(t *testing.T) {
			g := bootAgent(t, lab, "secureboot-"+fw.String(), qemulab.Config{
				Firmware: fw,
				Commands: []qemulab.Command{
					{Name: "show-firmware", Script: "bootinfo show firmware --format json\n"},
					{Name: "metrics", Script: guestMetricsScript},
				},
			})
			vars := g.Res.EFIVars()
			if sb := vars["SecureBoot-"+efiGlobal]; !bytes.Equal(sb, []byte{6, 0, 0, 0, 1}) {
				t.Fatalf("raw SecureBoot % x: want Secure Boot on", sb)
			}
			wantJSON(t, g.Show, "firmware.secure_boot", "enabled")

			// bootinfo's efi package on the host, over a sysfs tree holding
			// the guest's variables.
			tr := hostTrust(t, g.Res)
			if len(tr.Errors) != 0 {
				t.Errorf("Trust errors: %v", tr.Errors)
			}

			// The oracle: every certificate, field by field, both ways,
			// and every store's hash count by type.
			want, got := oracleCertificates(t, tools, vars), asOracleCerts(tr.Certificates)
			perStore := map[string]int{}
			for _, c := range want {
				perStore[c.Store]++
			}
			if perStore["PK"] != 1 || perStore["KEK"] == 0 || perStore["db"] == 0 {
				t.Errorf("the oracle read %v certificates by store: want one PK and some KEK and db", perStore)
			}
			certDiff := cmp.Diff(want, got)
			if certDiff != "" {
				t.Errorf("certificates (-efitools/openssl +bootinfo):\n%s", certDiff)
			}
			wantHashes, owners := oracleSignatures(t, tools, vars)
			var sigListOwners []string
			for _, c := range want {
				sigListOwners = append(sigListOwners, c.Store+" "+c.Owner)
			}
			if d := cmp.Diff(owners, sigListOwners); d != "" {
				t.Errorf("the oracle disagrees with itself on the X.509 signatures (-efi-readvar +sig-list-to-certs):\n%s", d)
			}
			hashDiff := cmp.Diff(wantHashes, asOracleHashes(tr.Hashes))
			if hashDiff != "" {
				t.Errorf("hash counts (-efi-readvar +bootinfo):\n%s", hashDiff)
			}
			if certDiff == "" && hashDiff == "" {
				t.Logf("%d certificates and the hash counts %v agree with efitools and openssl", len(want), wantHashes)
			}

			checkKnownCAs(t, fw, tr)
			checkGuestTrust(t, g, tr)

			metrics, err := g.Res.Command("metrics")
			if err != nil {
				t.Fatal(err)
			}
			if out := os.Getenv(EnvSecureBootMetricsOut); out != "" && fw == qemulab.OVMFMicrosoft {
				if err := os.WriteFile(out, metrics, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote the guest's /metrics to %s", out)
			}
			if !bytes.Contains(metrics, []byte(`bootinfo_firmware_info{mode="uefi",secure_boot="enabled"} 1`+"\n")) {
				t.Errorf("the guest's /metrics does not say Secure Boot is on:\n%s", metrics)
			}
			promtoolCheck(t, metrics)
			checkTrustMetrics(t, metrics, tr)
			checkExpiryWithPromtool(t, metrics, tr)
		})
	}
}

// hostTrust decodes a boot's captured variables with the efi package, from
// a sysfs tree written as the guest kernel showed it.
func hostTrust(t *testing.T, res *qemulab.Result) *efi.Trust {
	t.Helper()
	root := t.TempDir()
	size, ok := res.File("/sys/firmware/efi/fw_platform_size")
	if !ok {
		t.Fatal("the guest exported no fw_platform_size")
	}
	files := map[string][]byte{"firmware/efi/fw_platform_size": size}
	for n, v := range res.EFIVars() {
		files[filepath.Join("firmware/efi/efivars", n)] = v
	}
	if err := qemulab.WriteFiles(root, files); err != nil {
		t.Fatal(err)
	}
	fs, err := efi.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := fs.Trust()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// checkKnownCAs: with Microsoft's keys, the 2011 CAs are found where the
// store enrols them and have expired, and the 2023 ones are absent; with
// the snakeoil keys, no Microsoft CA is anywhere.
func checkKnownCAs(t *testing.T, fw qemulab.Firmware, tr *efi.Trust) {
	t.Helper()
	now := time.Now()
	found := map[string]string{} // known CA -> store
	for _, c := range tr.Certificates {
		if c.KnownCA == "" {
			continue
		}
		found[c.KnownCA] = c.Store
		// openssl's subject (checked equal above) names the CA.
		if !strings.HasPrefix(c.Subject, "CN="+c.KnownCA+",") || !strings.Contains(c.Subject, ",O=Microsoft Corporation,") {
			t.Errorf("%s identified as %q", c.Subject, c.KnownCA)
		}
		if fw == qemulab.OVMFMicrosoft && !c.NotAfter.Before(now) {
			t.Errorf("%s: not_after %v is not past (now %v)", c.KnownCA, c.NotAfter, now.UTC())
		}
	}
	want := map[string]string{}
	if fw == qemulab.OVMFMicrosoft {
		want = microsoft2011
	}
	if d := cmp.Diff(want, found); d != "" {
		t.Errorf("known CAs by store (-want +got):\n%s", d)
	}
	present := map[string]bool{}
	for _, p := range tr.KnownCAs {
		if p.Present {
			present[p.Store+" "+p.CA] = true
		}
	}
	wantPresent := map[string]bool{}
	for ca, store := range want {
		wantPresent[store+" "+ca] = true
	}
	if d := cmp.Diff(wantPresent, present); d != "" {
		t.Errorf("known_cas present (-want +got):\n%s", d)
	}
	// Every CA, 2023 ones included, is reported, present or not, in its
	// home store and in dbx.
	var reported []string
	for _, p := range tr.KnownCAs {
		reported = append(reported, p.CA)
	}
	for _, ca := range append(slices.Sorted(maps.Keys(microsoft2011)), microsoft2023...) {
		if n := countOf(reported, ca); n != 2 {
			t.Errorf("known_cas reports %q %d times, want 2 (home store and dbx)", ca, n)
		}
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// checkGuestTrust: what `bootinfo show firmware` printed in the guest,
// reading efivarfs there, is the host's decode of the captured variables.
func checkGuestTrust(t *testing.T, g *guestBoot, tr *efi.Trust) {
	t.Helper()
	out, err := g.Res.Command("show-firmware")
	if err != nil {
		t.Fatal(err)
	}
	var guest map[string]any
	if err := json.Unmarshal(out, &guest); err != nil {
		t.Fatalf("show firmware printed no JSON object: %v\n%s", err, out)
	}
	host := map[string]any{
		"secure_boot_certificates": tr.Certificates,
		"secure_boot_hashes":       tr.Hashes,
		"secure_boot_known_cas":    tr.KnownCAs,
		"sbat_level":               tr.SbatLevel,
	}
	if tr.MokValidation != "" {
		host["mok_validation"] = tr.MokValidation
	}
	b, err := json.Marshal(host)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"secure_boot_certificates", "secure_boot_hashes", "secure_boot_known_cas", "sbat_level", "mok_validation"} {
		if d := cmp.Diff(want[k], guest[k]); d != "" {
			t.Errorf("firmware.%s (-host +guest):\n%s", k, d)
		}
	}
	if errs, ok := guest["errors"]; ok {
		t.Errorf("the guest's firmware section has errors: %v", errs)
	}
	// The whole document's firmware section says the same.
	whole, _ := jsonAt(g.Show, "firmware")
	if d := cmp.Diff(guest, whole); d != "" {
		t.Errorf("show firmware and show's firmware section differ (-section +document):\n%s", d)
	}
}
