package deploy

import (
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
)

// fixtureArgs turns a container's arguments into the agent's on a fixture
// root: the listeners are the test's, the --path flags and the state
// directory the fixture's, every other flag as the manifest gives it.
func fixtureArgs(t *testing.T, args []string) []string {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("arguments %v do not start with serve", args)
	}
	var kept []string
	kmsgSet := false
	for _, a := range args[1:] {
		name, _, _ := strings.Cut(a, "=")
		if strings.HasPrefix(name, "--path.") || name == "--state.dir" || name == "--web.listen-address" || name == "--web.health-address" {
			continue
		}
		kmsgSet = kmsgSet || name == "--collector.kmsg" || name == "--no-collector.kmsg"
		kept = append(kept, a)
	}
	// FixtureArgs turns the kernel log off; the default, on, unless the
	// manifest says otherwise.
	if !kmsgSet {
		kept = append([]string{"--collector.kmsg"}, kept...)
	}
	return agent.FixtureArgs(agent.FixtureRoot(t), kept...)
}

// TestKernelLogOnlyWithTheOverlay runs the agent with the base DaemonSet's
// flags and with the kernel-log overlay's, as deploy/README.md says: the
// base turns the kmsg collector off (no kmsg series, so no
// BootinfoCollectorFailed for it, and /bootinfo/kmsg is 404); the overlay
// turns it on.
func TestKernelLogOnlyWithTheOverlay(t *testing.T) {
	for _, tc := range []struct {
		dir string
		on  bool
	}{{k8sDir, false}, {"kubernetes-kernel-log", true}} {
		t.Run(tc.dir, func(t *testing.T) {
			args := kustomize(t, tc.dir).daemonSets[0].Spec.Template.Spec.Containers[0].Args
			a := agent.Start(t, fixtureArgs(t, args)...)
			m := a.Metrics(t)
			_, found := m.Sum("bootinfo_scrape_collector_success", "collector", "kmsg")
			if found != tc.on {
				t.Errorf("kmsg collector reported: %v, want %v", found, tc.on)
			}
			if _, found := m.Sum("bootinfo_scrape_collector_success", "collector", "host"); !found {
				t.Error("the host collector is not reported: the scrape proves nothing")
			}
			code, _, body := a.Get(t, "GET", "/bootinfo/kmsg")
			if (code != 404) == !tc.on {
				t.Errorf("/bootinfo/kmsg: %d %s", code, body)
			}
		})
	}
}
