package deploy

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
)

// TestProbesWithBasicAuth runs bootinfo with the DaemonSet's listeners
// (each container port moved to a free loopback port) and a web
// configuration that turns basic auth on, then probes it as the kubelet
// does: an HTTP GET of the probe's path on the probe's port, without
// credentials, successful for a status from 200 to 399. The probes must
// pass, while the metrics port refuses every path, /healthz included,
// without the password: what deploy/README.md says.
func TestProbesWithBasicAuth(t *testing.T) {
	c := loadManifests(t).daemonSets[0].Spec.Template.Spec.Containers[0]
	// The container's ports, by name and number, and the flag that serves
	// each.
	portOf := map[string]int32{}
	for _, p := range c.Ports {
		portOf[p.Name] = p.ContainerPort
	}
	addr := map[int32]string{} // container port -> the test's address
	var args []string
	for _, a := range c.Args[1:] {
		name, v, _ := strings.Cut(a, "=")
		switch name {
		case "--web.listen-address", "--web.health-address":
			_, port, ok := strings.Cut(v, ":")
			n, err := strconv.Atoi(port)
			if !ok || err != nil {
				t.Fatalf("%s: not :PORT", a)
			}
			addr[int32(n)] = testutil.FreeAddr(t)
			if name == "--web.health-address" {
				args = append(args, name+"="+addr[int32(n)])
			}
		}
	}
	if _, ok := addr[portOf["metrics"]]; !ok {
		t.Fatalf("no --web.listen-address for the metrics port %d", portOf["metrics"])
	}

	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(cfg, []byte("basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// agent.Start listens on the address it chooses; serve it in place of
	// the metrics port's.
	a := agent.Start(t, agent.FixtureArgs(agent.FixtureRoot(t), append(args, "--web.config.file="+cfg)...)...)
	addr[portOf["metrics"]] = strings.TrimPrefix(a.Base, "http://")

	get := func(url string, auth bool) int {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.SetBasicAuth("prometheus", "s3cret")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		port := p.HTTPGet.Port.IntVal
		if p.HTTPGet.Port.String() != strconv.Itoa(int(port)) || port == 0 {
			port = portOf[p.HTTPGet.Port.String()]
		}
		target, ok := addr[port]
		if !ok {
			t.Errorf("%s probe: port %s is served by no listener flag", name, p.HTTPGet.Port.String())
			continue
		}
		scheme := strings.ToLower(string(p.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		for _, h := range p.HTTPGet.HTTPHeaders {
			t.Errorf("%s probe sends header %s: a credential in the pod spec", name, h.Name)
		}
		if code := get(fmt.Sprintf("%s://%s%s", scheme, target, p.HTTPGet.Path), false); code < 200 || code > 399 {
			t.Errorf("%s probe GET %s://%s%s without credentials: %d, the kubelet would count a failure", name, scheme, target, p.HTTPGet.Path, code)
		}
	}

	// The metrics port: every path asks for the password, /healthz too
	// (the reason for the health port).
	for _, path := range []string{"/metrics", "/healthz", "/bootinfo"} {
		if code := get(a.Base+path, false); code != http.StatusUnauthorized {
			t.Errorf("metrics port %s without credentials: %d, want 401", path, code)
		}
	}
	if code := get(a.Base+"/metrics", true); code != 200 {
		t.Errorf("/metrics with the password: %d", code)
	}
	// The health port serves nothing else.
	health := addr[portOf["health"]]
	for _, path := range []string{"/metrics", "/bootinfo", "/"} {
		if code := get("http://"+health+path, false); code != http.StatusNotFound {
			t.Errorf("health port %s: %d, want 404", path, code)
		}
	}
}
