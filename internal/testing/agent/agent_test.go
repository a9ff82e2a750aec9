package agent

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// TestStartFailsWhenTheAgentExits: an agent that exits before serving (a
// repeated flag here) fails the test that started it, at once; the
// cleanup does not wait for an exit status already consumed.
func TestStartFailsWhenTheAgentExits(t *testing.T) {
	if os.Getenv("AGENTTEST_CHILD") == "1" {
		Start(t, "--collector.kmsg", "--no-collector.kmsg")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestStartFailsWhenTheAgentExits$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "AGENTTEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "agent exited before serving") || strings.Contains(string(out), "test timed out") {
		t.Errorf("child: %v\n%s", err, out)
	}
}
