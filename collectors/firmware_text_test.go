package collectors

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/efi"
	"github.com/google/go-cmp/cmp"
)

// TestFirmwareTextMicrosoftStore: the real Microsoft-enrolled store listed
// as mokutil numbers keys, on 2026-12-03 when the 2011 CAs have expired.
func TestFirmwareTextMicrosoftStore(t *testing.T) {
	sys, _ := msStoreRoot(t)
	sec, _, _ := collectFirmware(t, sys, 0)
	got := trustLines(sec, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	debian := "Debian UEFI Secure Boot (PK/KEK key) (issuer Debian UEFI Secure Boot (PK/KEK key)), not after 2029-07-05, sha256 5fb05ed84c5170d5"
	want := map[string][]string{
		"PK": {"[key 1] " + debian},
		"KEK": {
			"[key 1] " + debian,
			"[key 2] Microsoft Corporation KEK CA 2011 (issuer Microsoft Corporation Third Party Marketplace Root), not after 2026-06-24 (expired), sha256 a1117f516a32cefc",
		},
		"db": {
			"[key 1] Microsoft Windows Production PCA 2011 (issuer Microsoft Root Certificate Authority 2010), not after 2026-10-19 (expired), sha256 e8e95f0733a55e8b",
			"[key 2] Microsoft Corporation UEFI CA 2011 (issuer Microsoft Corporation Third Party Marketplace Root), not after 2026-06-27 (expired), sha256 48e99b991f57fc52",
		},
		"dbx": {"1 sha256 hash"},
	}
	gotMap := map[string][]string{}
	var order []string
	for _, s := range got {
		gotMap[s.store] = s.lines
		order = append(order, s.store)
	}
	if diff := cmp.Diff(want, gotMap); diff != "" {
		t.Errorf("store lines (-want +got):\n%s", diff)
	}
	if !slices.Equal(order, []string{"PK", "KEK", "db", "dbx"}) {
		t.Errorf("stores in order %v", order)
	}
	// Before June 2026 nothing had expired.
	for _, s := range trustLines(sec, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		for _, l := range s.lines {
			if strings.Contains(l, "expired") {
				t.Errorf("%s: %q", s.store, l)
			}
		}
	}
	wantCAs := []string{
		"Microsoft Corporation KEK CA 2011: in KEK",
		"Microsoft Corporation UEFI CA 2011: in db",
		"Microsoft Windows Production PCA 2011: in db",
		"Microsoft Corporation KEK 2K CA 2023: not in KEK",
		"Microsoft UEFI CA 2023: not in db",
		"Microsoft Option ROM UEFI CA 2023: not in db",
		"Windows UEFI CA 2023: not in db",
	}
	if diff := cmp.Diff(wantCAs, knownCALines(sec.SecureBootKnownCAs)); diff != "" {
		t.Errorf("known CAs (-want +got):\n%s", diff)
	}
}

// TestFirmwareTextViewKeepsTheSection: the text view has every member of
// the section's JSON but the certificate and hash lists, which the store
// lines replace; the known CAs become lines.
func TestFirmwareTextViewKeepsTheSection(t *testing.T) {
	sys, _ := msStoreRoot(t)
	sec, _, _ := collectFirmware(t, sys, 0)
	keys := func(v any) map[string]json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	section, view := keys(sec), keys(sec.TextView())
	for k, v := range section {
		switch k {
		case "secure_boot_certificates", "secure_boot_hashes":
			if _, ok := view[k]; ok {
				t.Errorf("the text view keeps %s", k)
			}
		case "secure_boot_known_cas":
			var lines []string
			if err := json.Unmarshal(view[k], &lines); err != nil || len(lines) != len(efi.KnownCAs) {
				t.Errorf("%s: %s (%v), want a line per known CA", k, view[k], err)
			}
		default:
			if string(view[k]) != string(v) {
				t.Errorf("%s: %s in the text view, %s in the section", k, view[k], v)
			}
		}
	}
	var stores map[string][]string
	if err := json.Unmarshal(view["secure_boot_stores"], &stores); err != nil || len(stores) != 4 {
		t.Errorf("secure_boot_stores: %s (%v)", view["secure_boot_stores"], err)
	}
	doc := Document{"firmware": sec, "errors": map[string]string{}}.TextView().(Document)
	if _, ok := doc["firmware"].(firmwareText); !ok {
		t.Errorf("the document's text view has firmware as %T", doc["firmware"])
	}
}
