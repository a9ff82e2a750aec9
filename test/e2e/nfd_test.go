package e2e

// `bootinfo serve --nfd.features-dir`: node-feature-discovery's feature
// file, written from a fixture host's firmware and boot loader.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/nfd"
	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
)

const nfdPrefix = "bootinfo.feature.node.kubernetes.io/"

// readFeatureFile reads the feature file's labels: its lines other than
// comments, each held to what NFD accepts (nfd.ValidateLabel, itself held
// to Kubernetes' validation in its tests).
func readFeatureFile(t *testing.T, path string) (map[string]string, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("line %q has no value", line)
		}
		if err := nfd.ValidateLabel(k, v); err != nil {
			t.Error(err)
		}
		labels[k] = v
	}
	return labels, nil
}

// TestNodeFeatureFile runs serve on the OVMF fixture with signature
// databases added: db holds Microsoft's 2011 UEFI CA and a certificate
// with the subject of Microsoft UEFI CA 2023 (self-signed by the test; efi
// identifies a CA by subject when its fingerprint is not in the table),
// KEK only the 2011 KEK CA. The features directory is missing at first:
// the failure is counted, logged once, and the file appears when the
// directory does. Then db loses the 2023 CA, and the file follows.
func TestNodeFeatureFile(t *testing.T) {
	root := agent.FixtureRoot(t)
	sys := filepath.Join(root, "sys")
	now := time.Now()
	ca := func(cn string) []byte {
		for _, k := range efi.KnownCAs {
			if k.Name == cn {
				return testutil.StandInCA(t, k.Subject, k.Issuer, now.AddDate(-1, 0, 0), now.AddDate(10, 0, 0))
			}
		}
		t.Fatalf("%s is not a known CA", cn)
		return nil
	}
	owner := efi.MustParseGUID("77fa9abd-0359-4d32-bd60-28f4e78f784b")
	uefi2011 := testutil.X509SignatureList(owner, ca("Microsoft Corporation UEFI CA 2011"))
	uefi2023 := testutil.X509SignatureList(owner, ca("Microsoft UEFI CA 2023"))
	testutil.WriteEFIVariable(t, sys, "db", efi.ImageSecurityDatabase.String(), append(append([]byte{}, uefi2011...), uefi2023...))
	testutil.WriteEFIVariable(t, sys, "KEK", efi.GlobalVariable.String(), testutil.X509SignatureList(owner, ca("Microsoft Corporation KEK CA 2011")))

	dir := filepath.Join(t.TempDir(), "features.d")
	path := filepath.Join(dir, "bootinfo")
	a := agent.Start(t, agent.FixtureArgs(root,
		"--nfd.features-dir="+dir, "--nfd.interval=100ms", "--nfd.expiry=1h",
		"--collector.firmware.refresh=100ms")...)

	// No directory: failures counted, the file's success 0, one log line.
	testutil.WaitFor(t, "failed updates of the feature file", func() error {
		m := a.Metrics(t)
		if f := m.Value("bootinfo_nfd_feature_file_failures_total"); f < 3 {
			return fmt.Errorf("%v failures", f)
		}
		if s := m.Value("bootinfo_nfd_feature_file_success"); s != 0 {
			return fmt.Errorf("success %v without the directory", s)
		}
		return nil
	}, a.Process)
	if n := strings.Count(a.Output.String(), "cannot update the node feature file"); n != 1 {
		t.Errorf("the missing directory logged %d times, want once:\n%s", n, a.Output)
	}
	if !strings.Contains(a.Output.String(), "no such file or directory") {
		t.Errorf("the log does not say why:\n%s", a.Output)
	}

	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	testutil.WaitFor(t, "the feature file", func() (err error) {
		got, err = readFeatureFile(t, path)
		return err
	}, a.Process)

	// What the sections say, and what the test put in db and KEK.
	var fw struct {
		Mode       string `json:"mode"`
		SecureBoot string `json:"secure_boot"`
	}
	var bl struct {
		RebootRequired bool              `json:"reboot_required"`
		Errors         map[string]string `json:"errors"`
	}
	for name, v := range map[string]any{"firmware": &fw, "bootloader": &bl} {
		code, _, body := a.Get(t, "GET", "/bootinfo/"+name)
		if code != 200 {
			t.Fatalf("/bootinfo/%s: %d %s", name, code, body)
		}
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatal(err)
		}
	}
	if fw.Mode != "uefi" {
		t.Fatalf("the fixture's firmware mode is %q, not uefi", fw.Mode)
	}
	want := map[string]string{
		nfdPrefix + "firmware.mode":                         "uefi",
		nfdPrefix + "secure-boot.state":                     fw.SecureBoot,
		nfdPrefix + "secure-boot.db.microsoft-uefi-ca-2023": "true",
		nfdPrefix + "secure-boot.kek.microsoft-kek-ca-2023": "false",
	}
	if _, unknown := bl.Errors["reboot_required"]; !unknown {
		want[nfdPrefix+"reboot-required"] = fmt.Sprint(bl.RebootRequired)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
	content, _ := os.ReadFile(path)
	if !bytes.Contains(content, []byte("\n# +expiry-time=")) {
		t.Errorf("no expiry-time directive:\n%s", content)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	testutil.WaitFor(t, "success after the directory appeared", func() error {
		m := a.Metrics(t)
		if s, w := m.Value("bootinfo_nfd_feature_file_success"), m.Value("bootinfo_nfd_feature_file_writes_total"); s != 1 || w != 1 {
			return fmt.Errorf("success %v, writes %v; want 1 and 1", s, w)
		}
		return nil
	}, a.Process)
	if !strings.Contains(a.Output.String(), "node feature file updated again") {
		t.Errorf("the recovery is not logged:\n%s", a.Output)
	}

	// db without the 2023 CA: the label follows at the next refresh.
	testutil.WriteEFIVariable(t, sys, "db", efi.ImageSecurityDatabase.String(), uefi2011)
	testutil.WaitFor(t, "the label to follow db", func() error {
		got, err := readFeatureFile(t, path)
		if err != nil {
			return err
		}
		if v := got[nfdPrefix+"secure-boot.db.microsoft-uefi-ca-2023"]; v != "false" {
			return fmt.Errorf("label %q", v)
		}
		return nil
	}, a.Process)
	// The change was one more write, counted once the file is in place:
	// a moment after it shows.
	testutil.WaitFor(t, "the second write to be counted", func() error {
		w := a.Metrics(t).Value("bootinfo_nfd_feature_file_writes_total")
		if w > 2 {
			t.Fatalf("%v writes; want 2 (start, db changed)", w)
		}
		if w != 2 {
			return fmt.Errorf("%v writes", w)
		}
		return nil
	}, a.Process)
	// Many updates later, nothing changed: no write.
	time.Sleep(time.Second)
	if w := a.Metrics(t).Value("bootinfo_nfd_feature_file_writes_total"); w != 2 {
		t.Errorf("writes %v a second later; want 2 (start, db changed)", w)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the file alone (no temporary file left)", len(entries))
	}
}
