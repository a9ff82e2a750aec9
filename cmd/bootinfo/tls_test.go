package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
	"golang.org/x/crypto/bcrypt"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns a pool
// that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "bootinfo test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestEndToEndTLSAndBasicAuth serves over real TLS with basic auth through
// exporter-toolkit's web configuration: the right password gets the
// metrics, a wrong or missing one 401, plain HTTP nothing.
func TestEndToEndTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	os.WriteFile(cfg, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+"\nbasic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600)

	a := agent.StartWith(t, agent.Options{
		Args: agent.FixtureArgs(agent.FixtureRoot(t), "--web.config.file="+cfg),
		TLS:  &tls.Config{RootCAs: pool},
	})
	get := func(user, pass string) int {
		req, _ := http.NewRequest("GET", a.Base+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := a.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("prometheus", "s3cret"); code != 200 {
		t.Errorf("right password: %d, want 200", code)
	}
	if code := get("prometheus", "wrong"); code != 401 {
		t.Errorf("wrong password: %d, want 401", code)
	}
	if code := get("", ""); code != 401 {
		t.Errorf("no credentials: %d, want 401", code)
	}
	resp, err := http.Get("http://" + strings.TrimPrefix(a.Base, "https://") + "/metrics")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP got the metrics from a TLS listener")
		}
	}
	if !strings.Contains(a.Output.String(), "TLS is enabled") {
		t.Errorf("log does not say TLS is on:\n%s", a.Output)
	}
}
