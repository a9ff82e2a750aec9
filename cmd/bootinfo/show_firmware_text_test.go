package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/ovmfvars"
)

// TestShowFirmwareTextListsStores: `bootinfo show firmware --format text`
// on Debian's Microsoft-enrolled store lists each store's certificates one
// line each, numbered as mokutil numbers them, while the JSON keeps the
// certificate objects.
func TestShowFirmwareTextListsStores(t *testing.T) {
	sys := t.TempDir()
	vars := filepath.Join(sys, "firmware", "efi", "efivars")
	ovmfvars.WriteEfivars(t, "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", vars)
	code, out, stderr := runBootinfo("show", "firmware", "--format", "text", "--path.sysfs="+sys)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, stores, ok := strings.Cut(out, "\nsecure_boot_stores:\n")
	if !ok {
		t.Fatalf("no secure_boot_stores in\n%s", out)
	}
	for _, want := range []string{
		"  PK:\n    - [key 1] Debian UEFI Secure Boot (PK/KEK key) (issuer Debian UEFI Secure Boot (PK/KEK key)), not after 2029-07-05",
		"\n    - [key 2] Microsoft Corporation KEK CA 2011 (issuer Microsoft Corporation Third Party Marketplace Root), not after 2026-06-24",
		"  db:\n    - [key 1] Microsoft Windows Production PCA 2011 (issuer Microsoft Root Certificate Authority 2010), not after 2026-10-19",
		"  dbx:\n    - 1 sha256 hash\n",
	} {
		if !strings.Contains(stores, want) {
			t.Errorf("no %q in\n%s", want, stores)
		}
	}
	if strings.Contains(out, "secure_boot_certificates:") || !strings.Contains(out, "\n  - Microsoft UEFI CA 2023: not in db\n") {
		t.Errorf("certificates as objects, or known CAs not as lines:\n%s", out)
	}

	code, out, stderr = runBootinfo("show", "firmware", "--path.sysfs="+sys)
	var sec struct {
		Certificates []struct {
			Store, Subject string
		} `json:"secure_boot_certificates"`
	}
	if err := json.Unmarshal([]byte(out), &sec); code != 0 || err != nil || len(sec.Certificates) != 5 {
		t.Errorf("JSON: exit %d, %v, %d certificates; want 5\n%s", code, err, len(sec.Certificates), stderr)
	}
}
