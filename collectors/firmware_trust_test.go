package collectors

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/bootinfo/bootinfo/internal/testing/ovmfvars"
	"github.com/google/go-cmp/cmp"
)

// msVarStore is Debian's OVMF variable store with Microsoft's 2011 keys
// enrolled (see ../shared/docs/firmware-lab.md).
const msVarStore = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"

// msStoreRoot is a sysfs root whose efivarfs holds the Microsoft-enrolled
// store's variables, and SecureBoot on (the firmware sets it at boot; the
// store does not hold it).
func msStoreRoot(t *testing.T) (sys, vars string) {
	t.Helper()
	sys = t.TempDir()
	vars = filepath.Join(sys, "firmware", "efi", "efivars")
	ovmfvars.WriteEfivars(t, msVarStore, vars)
	writeVar(t, vars, "SecureBoot", efi.GlobalVariable, []byte{1})
	return sys, vars
}

func writeVar(t *testing.T, dir, name string, vendor efi.GUID, value []byte) {
	t.Helper()
	b := append([]byte{6, 0, 0, 0}, value...)
	if err := os.WriteFile(filepath.Join(dir, name+"-"+vendor.String()), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readVar(t *testing.T, dir, name string, vendor efi.GUID) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+"-"+vendor.String()))
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := efi.ParseVariable(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const debianKey = "emailAddress=debian-devel@lists.debian.org,CN=Debian UEFI Secure Boot (PK/KEK key),O=Debian"

// TestFirmwareTrustMicrosoftStore: the real Microsoft-enrolled store gives
// one expiry series per certificate (the 2011 CAs' dates as Microsoft
// issued them), the signature counts of each store, and the known CAs:
// the 2011 ones present, the 2023 ones absent, none revoked.
func TestFirmwareTrustMicrosoftStore(t *testing.T) {
	sys, _ := msStoreRoot(t)
	sec, snap, _ := collectFirmware(t, sys, 0)
	if sec.SecureBoot != "enabled" || len(sec.Errors) != 0 {
		t.Fatalf("secure_boot %q, errors %v", sec.SecureBoot, sec.Errors)
	}
	got := metricsText(t, snap, "bootinfo_secure_boot_certificate_not_after_seconds", "bootinfo_secure_boot_signatures", "bootinfo_secure_boot_known_ca")
	want := strings.Join([]string{
		// 2029-07-05T23:42:49Z, 2026-06-24T20:51:29Z, 2026-06-27T21:32:45Z, 2026-10-19T18:51:42Z
		"bootinfo_secure_boot_certificate_not_after_seconds{serial=4501EE393E52297836DF8542C8E57BBB88D14B37,store=KEK,subject=" + debianKey + "} 1.877989369e+09",
		"bootinfo_secure_boot_certificate_not_after_seconds{serial=4501EE393E52297836DF8542C8E57BBB88D14B37,store=PK,subject=" + debianKey + "} 1.877989369e+09",
		"bootinfo_secure_boot_certificate_not_after_seconds{serial=610AD188000000000003,store=KEK,subject=CN=Microsoft Corporation KEK CA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US} 1.782334289e+09",
		"bootinfo_secure_boot_certificate_not_after_seconds{serial=6108D3C4000000000004,store=db,subject=CN=Microsoft Corporation UEFI CA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US} 1.782595965e+09",
		"bootinfo_secure_boot_certificate_not_after_seconds{serial=61077656000000000008,store=db,subject=CN=Microsoft Windows Production PCA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US} 1.792435902e+09",
		"bootinfo_secure_boot_signatures{store=KEK,type=x509} 2",
		"bootinfo_secure_boot_signatures{store=PK,type=x509} 1",
		"bootinfo_secure_boot_signatures{store=db,type=x509} 2",
		"bootinfo_secure_boot_signatures{store=dbx,type=sha256} 1",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Corporation KEK 2K CA 2023,store=KEK} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Corporation KEK 2K CA 2023,store=dbx} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Corporation KEK CA 2011,store=KEK} 1",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Corporation KEK CA 2011,store=dbx} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Corporation UEFI CA 2011,store=db} 1",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Corporation UEFI CA 2011,store=dbx} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Option ROM UEFI CA 2023,store=db} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Option ROM UEFI CA 2023,store=dbx} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft UEFI CA 2023,store=db} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft UEFI CA 2023,store=dbx} 0",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Windows Production PCA 2011,store=db} 1",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Windows Production PCA 2011,store=dbx} 0",
		"bootinfo_secure_boot_known_ca{ca=Windows UEFI CA 2023,store=db} 0",
		"bootinfo_secure_boot_known_ca{ca=Windows UEFI CA 2023,store=dbx} 0",
	}, "\n") + "\n"
	if diff := cmp.Diff(sortedLines(want), sortedLines(got)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return l
}

// TestFirmwareTrustDuplicatesAndBrokenStores: a db that holds each
// certificate twice (the same lists enrolled again) gives one expiry
// series per certificate, which a registry accepts, and counts four
// certificates; a dbx cut off mid-list and an unreadable KEK say nothing
// about what they lack, only what decoded.
func TestFirmwareTrustDuplicatesAndBrokenStores(t *testing.T) {
	sys, vars := msStoreRoot(t)
	db := readVar(t, vars, "db", efi.ImageSecurityDatabase)
	writeVar(t, vars, "db", efi.ImageSecurityDatabase, append(append([]byte{}, db...), db...))
	dbx := readVar(t, vars, "dbx", efi.ImageSecurityDatabase)
	writeVar(t, vars, "dbx", efi.ImageSecurityDatabase, dbx[:len(dbx)-5])
	if os.Geteuid() != 0 {
		if err := os.Chmod(filepath.Join(vars, "KEK-"+efi.GlobalVariable.String()), 0); err != nil {
			t.Fatal(err)
		}
	} else {
		// root reads a file of mode 0: make KEK a directory, which no one reads.
		p := filepath.Join(vars, "KEK-"+efi.GlobalVariable.String())
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sec, snap, _ := collectFirmware(t, sys, 0)
	for _, k := range []string{"dbx", "KEK"} {
		if _, ok := sec.Errors[k]; !ok {
			t.Errorf("no error for %s: %v", k, sec.Errors)
		}
	}
	got := metricsText(t, snap, "bootinfo_secure_boot_certificate_not_after_seconds", "bootinfo_secure_boot_signatures", "bootinfo_secure_boot_known_ca")
	for _, line := range []string{
		"bootinfo_secure_boot_signatures{store=db,type=x509} 4",
		"bootinfo_secure_boot_known_ca{ca=Microsoft Corporation UEFI CA 2011,store=db} 1",
		"bootinfo_secure_boot_known_ca{ca=Microsoft UEFI CA 2023,store=db} 0",
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("no %s in\n%s", line, got)
		}
	}
	if n := strings.Count(got, "not_after_seconds{serial=6108D3C4000000000004,store=db,"); n != 1 {
		t.Errorf("%d expiry series of the doubled UEFI CA 2011, want 1", n)
	}
	for _, absent := range []string{"store=dbx}", "store=KEK}", "store=KEK,", "store=dbx,"} {
		if strings.Contains(got, absent) {
			t.Errorf("a series of a store that did not decode (%s):\n%s", absent, got)
		}
	}
}
