package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

const unitPath = "systemd/bootinfo.service"

// unitFile is a parsed systemd unit: section → key → values in order
// (a key may repeat).
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, data []byte) unitFile {
	t.Helper()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s:%d: cannot parse %q", unitPath, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// last returns the effective value of a single-valued setting.
func (u unitFile) last(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func TestUnitFileSettings(t *testing.T) {
	data, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	u := parseUnit(t, data)
	want := map[[2]string]string{
		{"Install", "WantedBy"}:                "multi-user.target",
		{"Service", "ExecStart"}:               unitExecStart,
		{"Service", "Restart"}:                 "on-failure",
		{"Service", "Type"}:                    "notify",
		{"Service", "NotifyAccess"}:            "main",
		{"Service", "WatchdogSec"}:             "1min",
		{"Service", "KillSignal"}:              "SIGTERM",
		{"Service", "StateDirectory"}:          "bootinfo",
		{"Service", "ProtectSystem"}:           "strict",
		{"Service", "ProtectHome"}:             "yes",
		{"Service", "PrivateTmp"}:              "yes",
		{"Service", "NoNewPrivileges"}:         "yes",
		{"Service", "ProtectKernelTunables"}:   "yes",
		{"Service", "ProtectKernelModules"}:    "yes",
		{"Service", "ProtectControlGroups"}:    "yes",
		{"Service", "MemoryDenyWriteExecute"}:  "yes",
		{"Service", "RestrictAddressFamilies"}: "AF_UNIX AF_INET AF_INET6",
		{"Service", "SystemCallArchitectures"}: "native",
		{"Service", "DevicePolicy"}:            "closed",
		{"Service", "DeviceAllow"}:             "/dev/kmsg r",
		{"Service", "AmbientCapabilities"}:     "",
		{"Service", "ReadWritePaths"}:          "/var/lib/bootinfo",
		{"Service", "ReadOnlyPaths"}:           "/",
	}
	for k, v := range want {
		got, ok := u[k[0]][k[1]]
		if !ok || u.last(k[0], k[1]) != v {
			t.Errorf("[%s] %s=%q, want %q", k[0], k[1], got, v)
		}
	}
	if !slices.Contains(u["Service"]["SystemCallFilter"], "@system-service") {
		t.Errorf("SystemCallFilter %q lacks @system-service", u["Service"]["SystemCallFilter"])
	}
	// What would hide a source: /dev/kmsg (PrivateDevices, ProtectKernelLogs),
	// /proc/cmdline (ProcSubset=pid), root's files (a User=, or noroot).
	for _, k := range []string{"PrivateDevices", "ProtectKernelLogs", "ProcSubset", "User", "DynamicUser", "SecureBits", "PrivateUsers"} {
		if v, ok := u["Service"][k]; ok {
			t.Errorf("%s=%q hides a source bootinfo reads", k, v)
		}
	}
	// The same capabilities as the DaemonSet adds, and nothing else.
	var caps []string
	for _, f := range strings.Fields(u.last("Service", "CapabilityBoundingSet")) {
		caps = append(caps, strings.TrimPrefix(f, "CAP_"))
	}
	slices.Sort(caps)
	if !slices.Equal(caps, neededCapabilities) {
		t.Errorf("CapabilityBoundingSet %v, want %v", caps, neededCapabilities)
	}
}

// unitExecStart is what the unit runs.
const unitExecStart = "/usr/local/bin/bootinfo serve --state.dir=/var/lib/bootinfo"

// unitRunning returns the unit file with cmd as its ExecStart.
func unitRunning(t *testing.T, cmd string) []byte {
	t.Helper()
	data, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	line := "\nExecStart=" + unitExecStart + "\n"
	if !bytes.Contains(data, []byte(line)) {
		t.Fatalf("%s has no %q", unitPath, strings.TrimSpace(line))
	}
	return bytes.Replace(data, []byte(line), []byte("\nExecStart="+cmd+"\n"), 1)
}

// installUnit writes the unit into a temporary directory with ExecStart
// pointing at a freshly built bootinfo, so systemd-analyze checks a real
// executable.
func installUnit(t *testing.T) string {
	t.Helper()
	data := unitRunning(t, agent.Binary(t)+strings.TrimPrefix(unitExecStart, "/usr/local/bin/bootinfo"))
	p := filepath.Join(t.TempDir(), "bootinfo.service")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func systemdAnalyze(t *testing.T) string { return testutil.Tool(t, "systemd-analyze", "systemd") }

// TestUnitFileVerifies runs systemd-analyze verify. It exits non-zero for
// a missing executable or a broken dependency but only warns about unknown
// keys and bad values ("... ignoring"), so any line naming the unit fails
// the test too.
func TestUnitFileVerifies(t *testing.T) {
	sa := systemdAnalyze(t)
	p := installUnit(t)
	out, err := exec.Command(sa, "verify", p).CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, "bootinfo.service") || strings.Contains(line, "ignoring") {
			t.Errorf("systemd-analyze verify: %s", strings.TrimSpace(line))
		} else if strings.TrimSpace(line) != "" {
			t.Logf("systemd-analyze verify (not about the unit): %s", strings.TrimSpace(line))
		}
	}
	if err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for bootinfo\.service: ([0-9.]+) (\S+)`)

// maxExposure is the highest exposure score systemd-analyze security may
// give the unit; a change that loosens the sandbox has to raise it
// deliberately.
const maxExposure = 2.1

// TestUnitFileSecurity runs systemd-analyze security --offline=yes on the
// unit and holds its exposure score.
func TestUnitFileSecurity(t *testing.T) {
	sa := systemdAnalyze(t)
	p := installUnit(t)
	out, err := exec.Command(sa, "security", "--offline=yes", "--no-pager", p).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := exposureRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exposure %.1f %s", score, m[2])
	if score > maxExposure {
		t.Errorf("exposure level %.1f %s, above %.1f:\n%s", score, m[2], maxExposure, out)
	}
}

// runTail is the lab script's part for TestUnitRunsUnderSystemd: it runs
// the probe unit to completion, then the agent until $LAB/stop appears,
// and records the agent unit's final state.
const runTail = linkPrivate + `
systemctl --user start --wait bootinfo-probe.service
cp /var/lib/bootinfo/probe.txt "$LAB/probe.txt"
systemctl --user start bootinfo.service
touch "$LAB/started"
while [ ! -e "$LAB/stop" ]; do sleep 0.1; done
systemctl --user stop bootinfo.service
systemctl --user show -p ActiveState,Result,ExecMainStatus,NRestarts bootinfo.service > "$LAB/result"
`

// probeCommand runs under the unit's sandbox in place of bootinfo and
// records what the sources need: /dev/kmsg (CAP_SYSLOG under
// kernel.dmesg_restrict=1), a file only root may read (the DMI table's
// case), a D-Bus call over the manager's private socket at
// /run/systemd/private (read-only mount, AF_UNIX), and that another user's
// owner-only file stays closed (no CAP_DAC_OVERRIDE or
// CAP_DAC_READ_SEARCH).
const probeCommand = `/bin/sh -c 'exec >/var/lib/bootinfo/probe.txt 2>&1; ` +
	`dd if=/dev/kmsg of=/dev/null bs=8192 count=1 iflag=nonblock status=none && echo kmsg=ok; ` +
	`cat /usr/local/bin/root-0400 >/dev/null && echo root-file=ok; ` +
	`cat /usr/local/bin/nobody-0400 >/dev/null || echo other-file=denied; ` +
	`dbus-send --peer=unix:path=/run/systemd/private --print-reply --dest=org.freedesktop.systemd1 ` +
	`/org/freedesktop/systemd1 org.freedesktop.DBus.Properties.Get ` +
	`string:org.freedesktop.systemd1.Manager string:Version >/dev/null && echo private-socket=ok; ` +
	`sed -n "s/^CapEff:[[:space:]]*/capeff=/p" /proc/self/status; true'`

// TestUnitRunsUnderSystemd starts bootinfo with the unit file's complete
// sandbox under a real systemd, scrapes it, and stops it: every collector
// must work inside the sandbox and SIGTERM must end the service cleanly.
func TestUnitRunsUnderSystemd(t *testing.T) {
	addr := testutil.FreeAddr(t)
	lab := startUnitLab(t, map[string][]byte{
		"bootinfo.service":       unitRunning(t, unitExecStart+" --web.listen-address="+addr),
		"bootinfo-probe.service": unitRunning(t, probeCommand),
		// The probe is a shell, which tells systemd nothing.
		"bootinfo-probe.service.d/exec.conf": []byte("[Service]\nType=exec\nWatchdogSec=0\n"),
	}, runTail)
	script, logs, stop := lab.script, lab.logs, lab.stop

	// Type=notify: systemctl start returns once the agent is ready,
	// which is after its first collection.
	testutil.WaitFor(t, "systemctl start bootinfo.service", func() error {
		_, err := os.Stat(filepath.Join(lab.dir, "started"))
		return err
	}, script)
	var metrics agent.Metrics
	testutil.WaitFor(t, "bootinfo under systemd", func() error {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("/metrics: %s", resp.Status)
		}
		if err == nil {
			metrics, err = agent.ParseMetrics(b)
		}
		return err
	}, script)
	success := metrics.ByLabel("bootinfo_scrape_collector_success", "collector")
	for _, c := range []string{"dmi", "firmware", "host", "systemd"} {
		if success[c] != 1 {
			t.Errorf("inside the sandbox, collector %s: success %v", c, success[c])
		}
	}
	t.Logf("collectors inside the sandbox: %v", success)

	stop()
	if err := script.Wait(); err != nil {
		t.Fatalf("lab: %v\n%s", err, logs())
	}

	result, err := os.ReadFile(filepath.Join(lab.dir, "result"))
	if err != nil {
		t.Fatalf("%v\n%s", err, logs())
	}
	for _, want := range []string{"ActiveState=inactive", "Result=success", "ExecMainStatus=0", "NRestarts=0"} {
		if !bytes.Contains(result, []byte(want+"\n")) {
			t.Errorf("after systemctl stop: want %s in\n%s", want, result)
		}
	}

	probe, err := os.ReadFile(filepath.Join(lab.dir, "probe.txt"))
	if err != nil {
		t.Fatalf("%v\n%s", err, logs())
	}
	t.Logf("probe under the sandbox:\n%s", probe)
	for _, want := range []string{"kmsg=ok", "root-file=ok", "other-file=denied", "private-socket=ok", "capeff=0000000400000000"} {
		if !strings.Contains(string(probe), want+"\n") {
			t.Errorf("probe under the unit's sandbox: want %s (CAP_SYSLOG only, root's files only, /dev/kmsg and the private socket reachable)", want)
		}
	}
	if r, err := os.ReadFile("/proc/sys/kernel/dmesg_restrict"); err == nil && strings.TrimSpace(string(r)) != "1" {
		t.Log("kernel.dmesg_restrict is 0 here: kmsg=ok does not prove CAP_SYSLOG is effective")
	}
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
