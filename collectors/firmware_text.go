package collectors

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/bootinfo/bootinfo/efi"
)

// firmwareText is the firmware section as `bootinfo show --format text`
// prints it: the Secure Boot databases store by store, one line per
// certificate as mokutil --pk, --kek and --db number them, then the hash
// counts; and one line per known CA. Its fields shadow the section's
// (encoding/json takes the shallower field of a name).
type firmwareText struct {
	*FirmwareSection
	Certificates []efi.Certificate `json:"secure_boot_certificates,omitempty"`
	Hashes       []efi.HashCount   `json:"secure_boot_hashes,omitempty"`
	KnownCAs     []string          `json:"secure_boot_known_cas,omitempty"`
	Stores       storeLines        `json:"secure_boot_stores,omitempty"`
}

// TextView implements TextViewer.
func (s *FirmwareSection) TextView() any {
	if s == nil {
		return s
	}
	return firmwareText{FirmwareSection: s, KnownCAs: knownCALines(s.SecureBootKnownCAs), Stores: trustLines(s, time.Now())}
}

// storeLines is each store's lines, in store order: a JSON object whose
// members keep that order.
type storeLines []struct {
	store string
	lines []string
}

func (l storeLines) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, s := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(s.store)
		v, err := json.Marshal(s.lines)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// storeOrder is the order Trust reads the stores in.
var storeOrder = []string{efi.StorePK, efi.StoreKEK, efi.StoreDB, efi.StoreDBX, efi.StoreMokList, efi.StoreMokListX}

// trustLines lists each store's certificates,
//
//	[key 2] Microsoft Corporation UEFI CA 2011 (issuer Microsoft Corporation Third Party Marketplace Root), not after 2026-06-27 (expired), sha256 48e99b991f57fc52
//
// numbered from 1 in the store's order, then its hash counts ("1 sha256
// hash"). A certificate expired at now says so.
func trustLines(s *FirmwareSection, now time.Time) storeLines {
	byStore := map[string][]string{}
	var stores []string
	add := func(store, line string) {
		if _, ok := byStore[store]; !ok {
			stores = append(stores, store)
		}
		byStore[store] = append(byStore[store], line)
	}
	for _, c := range s.SecureBootCertificates {
		expired := ""
		if c.NotAfter.Before(now) {
			expired = " (expired)"
		}
		fp := c.SHA256
		if len(fp) > 16 {
			fp = fp[:16]
		}
		add(c.Store, fmt.Sprintf("[key %d] %s (issuer %s), not after %s%s, sha256 %s",
			len(byStore[c.Store])+1, cmp.Or(c.SubjectCN, c.Subject), cmp.Or(c.IssuerCN, c.Issuer), c.NotAfter.UTC().Format(time.DateOnly), expired, fp))
	}
	for _, h := range s.SecureBootHashes {
		noun := "hashes"
		if h.Count == 1 {
			noun = "hash"
		}
		add(h.Store, fmt.Sprintf("%d %s %s", h.Count, h.Type, noun))
	}
	rank := func(s string) int {
		if i := slices.Index(storeOrder, s); i >= 0 {
			return i
		}
		return len(storeOrder)
	}
	slices.SortStableFunc(stores, func(a, b string) int { return rank(a) - rank(b) })
	var out storeLines
	for _, st := range stores {
		out = append(out, struct {
			store string
			lines []string
		}{st, byStore[st]})
	}
	return out
}

// knownCALines says for each known CA whether its home store holds it and
// whether dbx revokes it: "Microsoft UEFI CA 2023: not in db".
func knownCALines(ps []efi.KnownCAPresence) []string {
	var out []string
	idx := map[string]int{}
	for _, p := range ps {
		i, ok := idx[p.CA]
		if !ok {
			i = len(out)
			idx[p.CA] = i
			out = append(out, p.CA+":")
		}
		switch {
		case p.Store == efi.StoreDBX && p.Present:
			out[i] += " revoked in dbx"
		case p.Store == efi.StoreDBX:
		case p.Present:
			out[i] += " in " + p.Store
		default:
			out[i] += " not in " + p.Store
		}
	}
	return out
}
