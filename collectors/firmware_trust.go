package collectors

import (
	"github.com/bootinfo/bootinfo/efi"
	"github.com/prometheus/client_golang/prometheus"
)

// certKey identifies a certificate's not_after series.
type certKey struct{ store, subject, serial string }

// trustMetrics turns what the signature databases hold into samples. A
// store may hold the same certificate twice (some firmware enrolls a CA
// once per owner GUID): one series each, with the earliest expiry. A
// CA's absence from a store that could not be read or decoded is not
// known, so it is not reported as 0.
func (d trustDescs) trustMetrics(sec *FirmwareSection, errs efi.FieldErrors) []prometheus.Metric {
	var ms []prometheus.Metric
	notAfter := map[certKey]float64{}
	var order []certKey
	certs := map[string]int{}
	var stores []string
	for _, c := range sec.SecureBootCertificates {
		k := certKey{c.Store, c.Subject, c.Serial}
		t := float64(c.NotAfter.Unix())
		if old, ok := notAfter[k]; !ok {
			order = append(order, k)
			notAfter[k] = t
		} else if t < old {
			notAfter[k] = t
		}
		if _, ok := certs[c.Store]; !ok {
			stores = append(stores, c.Store)
		}
		certs[c.Store]++
	}
	for _, k := range order {
		ms = append(ms, gauge(d.notAfter, notAfter[k], k.store, k.subject, k.serial))
	}
	for _, s := range stores {
		ms = append(ms, gauge(d.signatures, float64(certs[s]), s, "x509"))
	}
	// Trust counts each store's hashes by type once.
	for _, h := range sec.SecureBootHashes {
		ms = append(ms, gauge(d.signatures, float64(h.Count), h.Store, h.Type))
	}
	// A store that could not be read says nothing of a CA's absence.
	for _, p := range sec.SecureBootKnownCAs {
		if _, broken := errs[p.Store]; broken && !p.Present {
			continue
		}
		ms = append(ms, gauge(d.knownCA, boolFloat(p.Present), p.Store, p.CA))
	}
	return ms
}
