package efi

import (
	"crypto/x509"
)

// KnownCA is a certificate authority whose presence in a store decides what
// a machine can boot or be updated with.
type KnownCA struct {
	// Name is the CA's common name, as the metric's ca label carries it.
	Name string
	// Store is where the CA belongs: KEK or db.
	Store string
	// SHA256 is the fingerprint of the CA's certificate (lower-case hex).
	SHA256 string
}

// KnownCAs are Microsoft's Secure Boot CAs: the 2011 ones, which expired
// between June and October 2026, and their 2023 successors.
//
// Source: TODO (fingerprints to be filled from the certificates).
var KnownCAs = []KnownCA{
	{Name: "Microsoft Corporation KEK CA 2011", Store: StoreKEK},
	{Name: "Microsoft Corporation UEFI CA 2011", Store: StoreDB},
	{Name: "Microsoft Windows Production PCA 2011", Store: StoreDB},
	{Name: "Microsoft Corporation KEK 2K CA 2023", Store: StoreKEK},
	{Name: "Microsoft UEFI CA 2023", Store: StoreDB},
	{Name: "Microsoft Option ROM UEFI CA 2023", Store: StoreDB},
	{Name: "Windows UEFI CA 2023", Store: StoreDB},
}

// identifyCA names the known CA c is, by fingerprint, else by subject
// common name and organization.
func identifyCA(cert *Certificate, c *x509.Certificate) string {
	for _, k := range KnownCAs {
		if k.SHA256 != "" && k.SHA256 == cert.SHA256 {
			return k.Name
		}
	}
	for _, k := range KnownCAs {
		if c.Subject.CommonName == k.Name && len(c.Subject.Organization) == 1 && c.Subject.Organization[0] == "Microsoft Corporation" {
			return k.Name
		}
	}
	return ""
}

// knownCAPresence says, for each known CA, whether its home store holds it
// and whether dbx does.
func knownCAPresence(certs []Certificate) []KnownCAPresence {
	var out []KnownCAPresence
	for _, k := range KnownCAs {
		home, revoked := false, false
		for _, c := range certs {
			if c.KnownCA != k.Name {
				continue
			}
			home = home || c.Store == k.Store
			revoked = revoked || c.Store == StoreDBX
		}
		out = append(out, KnownCAPresence{Store: k.Store, CA: k.Name, Present: home}, KnownCAPresence{Store: StoreDBX, CA: k.Name, Present: revoked})
	}
	return out
}
