package efi

// KnownCA is a certificate authority whose presence in a store decides what
// a machine can boot or be updated with.
type KnownCA struct {
	// Name is the CA's common name, as the metric's ca label carries it.
	Name string
	// Store is where the CA belongs: KEK or db.
	Store string
	// Subject and Issuer are the certificate's names as Certificate
	// prints them.
	Subject, Issuer string
	// SHA256 is the fingerprint of the CA's certificate (lower-case hex).
	SHA256 string
}

// How a certificate was recognized as one of KnownCAs.
const (
	// MatchFingerprint: the certificate is the one Microsoft publishes.
	MatchFingerprint = "fingerprint"
	// MatchSubject: another certificate with the CA's subject and issuer.
	MatchSubject = "subject"
)

// KnownCAs are Microsoft's Secure Boot CAs: the 2011 ones, which expired
// between June and October 2026, and their 2023 successors.
//
// Source: the certificates Microsoft publishes in
// github.com/microsoft/secureboot_objects, PreSignedObjects/KEK/Certificates
// and PreSignedObjects/DB/Certificates (commit 06fe58a31d2d, 2026-07-15):
// MicCorKEKCA2011_2011-06-24.der, MicCorUEFCA2011_2011-06-27.der,
// MicWinProPCA2011_2011-10-19.der, "microsoft corporation kek 2k ca
// 2023.der", "microsoft uefi ca 2023.der", "microsoft option rom uefi ca
// 2023.der" and "windows uefi ca 2023.der". Fingerprints, subjects and
// issuers are openssl x509 -inform der -fingerprint -sha256 -subject
// -issuer -nameopt RFC2253's; TestKnownCAsTable checks that the table is
// consistent with itself and DecodeStore, and the OVMF test checks three of
// them against Debian's enrolled variable store.
//
// A certificate is recognized by its fingerprint first. A certificate with
// a CA's subject and issuer but another fingerprint is recognized too, as
// MatchSubject: that is a re-issued certificate of the same CA (same
// issuer, new key or validity, which Microsoft has not published so far) or
// a test certificate made to look like it (a lab's, a fuzzer's, a
// forgery's); it is reported, and its Match says it is not the published
// certificate. A certificate that only shares the CA's common name (a
// self-signed imitation) is not recognized.
var KnownCAs = []KnownCA{
	{
		Name:    "Microsoft Corporation KEK CA 2011",
		Store:   StoreKEK,
		Subject: "CN=Microsoft Corporation KEK CA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
		Issuer:  "CN=Microsoft Corporation Third Party Marketplace Root,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
		SHA256:  "a1117f516a32cefcba3f2d1ace10a87972fd6bbe8fe0d0b996e09e65d802a503",
	},
	{
		Name:    "Microsoft Corporation UEFI CA 2011",
		Store:   StoreDB,
		Subject: "CN=Microsoft Corporation UEFI CA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
		Issuer:  "CN=Microsoft Corporation Third Party Marketplace Root,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
		SHA256:  "48e99b991f57fc52f76149599bff0a58c47154229b9f8d603ac40d3500248507",
	},
	{
		Name:    "Microsoft Windows Production PCA 2011",
		Store:   StoreDB,
		Subject: "CN=Microsoft Windows Production PCA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
		Issuer:  "CN=Microsoft Root Certificate Authority 2010,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
		SHA256:  "e8e95f0733a55e8bad7be0a1413ee23c51fcea64b3c8fa6a786935fddcc71961",
	},
	{
		Name:    "Microsoft Corporation KEK 2K CA 2023",
		Store:   StoreKEK,
		Subject: "CN=Microsoft Corporation KEK 2K CA 2023,O=Microsoft Corporation,C=US",
		Issuer:  "CN=Microsoft RSA Devices Root CA 2021,O=Microsoft Corporation,C=US",
		SHA256:  "3cd3f0309edae228767a976dd40d9f4affc4fbd5218f2e8cc3c9dd97e8ac6f9d",
	},
	{
		Name:    "Microsoft UEFI CA 2023",
		Store:   StoreDB,
		Subject: "CN=Microsoft UEFI CA 2023,O=Microsoft Corporation,C=US",
		Issuer:  "CN=Microsoft RSA Devices Root CA 2021,O=Microsoft Corporation,C=US",
		SHA256:  "f6124e34125bee3fe6d79a574eaa7b91c0e7bd9d929c1a321178efd611dad901",
	},
	{
		Name:    "Microsoft Option ROM UEFI CA 2023",
		Store:   StoreDB,
		Subject: "CN=Microsoft Option ROM UEFI CA 2023,O=Microsoft Corporation,C=US",
		Issuer:  "CN=Microsoft RSA Devices Root CA 2021,O=Microsoft Corporation,C=US",
		SHA256:  "e5be3e64c6e66a281457ecdece0d6d0787577aad2a3a0144262c10c14ba8d8f1",
	},
	{
		Name:    "Windows UEFI CA 2023",
		Store:   StoreDB,
		Subject: "CN=Windows UEFI CA 2023,O=Microsoft Corporation,C=US",
		Issuer:  "CN=Microsoft Root Certificate Authority 2010,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
		SHA256:  "076f1fea90ac29155ebf77c17682f75f1fdd1be196da302dc8461e350a9ae330",
	},
}

// identifyCA names the known CA cert is, and how it matched: by
// fingerprint, else by subject and issuer.
func identifyCA(cert *Certificate) (name, match string) {
	for _, k := range KnownCAs {
		if k.SHA256 == cert.SHA256 {
			return k.Name, MatchFingerprint
		}
	}
	for _, k := range KnownCAs {
		if k.Subject == cert.Subject && k.Issuer == cert.Issuer {
			return k.Name, MatchSubject
		}
	}
	return "", ""
}

// knownCAPresence says, for each known CA, whether its home store holds it
// and whether dbx does (the CA is revoked), and how the best certificate
// matched.
func knownCAPresence(certs []Certificate) []KnownCAPresence {
	out := make([]KnownCAPresence, 0, 2*len(KnownCAs))
	for _, k := range KnownCAs {
		home := KnownCAPresence{Store: k.Store, CA: k.Name}
		dbx := KnownCAPresence{Store: StoreDBX, CA: k.Name}
		for _, c := range certs {
			if c.KnownCA != k.Name {
				continue
			}
			switch c.Store {
			case k.Store:
				home.see(c.KnownCAMatch)
			case StoreDBX:
				dbx.see(c.KnownCAMatch)
			}
		}
		out = append(out, home, dbx)
	}
	return out
}

// see records a certificate of the CA that matched as match.
func (p *KnownCAPresence) see(match string) {
	p.Present = true
	if p.Match != MatchFingerprint {
		p.Match = match
	}
}
