package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// unbindable is an address no test machine has: an agent that gets past
// validation fails there at once (exit 1) instead of serving.
const unbindable = "192.0.2.1:1"

// serveArgs runs serve against an empty root with every collector off, on
// an address it cannot bind, then extra.
func serveArgs(t *testing.T, extra ...string) []string {
	root := t.TempDir()
	args := []string{"serve", "--web.listen-address=" + unbindable,
		"--path.rootfs=" + root, "--path.sysfs=" + root, "--path.procfs=" + root, "--path.dev=" + root, "--path.boot=" + root,
		"--state.dir=" + filepath.Join(root, "state")}
	for _, c := range []string{"host", "dmi", "kmsg", "history", "systemd", "bootloader", "firmware"} {
		args = append(args, "--no-collector."+c)
	}
	// A flag of extra replaces the same flag above: kingpin refuses one
	// given twice.
	var out []string
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		keep := true
		for _, e := range extra {
			if en, _, _ := strings.Cut(e, "="); en == name {
				keep = false
			}
		}
		if keep {
			out = append(out, a)
		}
	}
	return append(out, extra...)
}

// runCaught calls run, turning a panic into a test failure.
func runCaught(t *testing.T, args []string) (rc int, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("run %q panicked: %v", args[len(args)-1], p)
			}
		}()
		rc = run(args, &out, &errb)
	}()
	return rc, errb.String()
}

// TestFlagsRefusedAtStart: every numeric, duration and path flag out of
// range, and every --web.telemetry-path the mux cannot route or that
// shadows another endpoint, ends the command at start with exit status 2
// and a message naming the flag: no panic (the mux's, makeslice's), no
// huge allocation, no value silently replaced.
func TestFlagsRefusedAtStart(t *testing.T) {
	for _, tt := range []struct {
		flag, want string
	}{
		{"--web.telemetry-path=/healthz", "--web.telemetry-path"},
		{"--web.telemetry-path=/bootinfo", "--web.telemetry-path"},
		{"--web.telemetry-path=/bootinfo/", "--web.telemetry-path"},
		{"--web.telemetry-path=/bootinfo/host", "below /bootinfo"},
		{"--web.telemetry-path=/", "--web.telemetry-path"},
		{"--web.telemetry-path=/a b", "--web.telemetry-path"},
		{"--web.telemetry-path=GET /metrics", "must start with /"},
		{"--web.telemetry-path=/metrics/{x}", "--web.telemetry-path"},
		{"--web.telemetry-path=/metrics/../healthz", "clean"},
		{"--web.telemetry-path=//metrics", "clean"},
		{"--web.telemetry-path=/m%20x", "--web.telemetry-path"},
		{"--web.telemetry-path=metrics", "must start with /"},
		{"--collector.kmsg.records-kept=4611686018427387904", "--collector.kmsg.records-kept"},
		{"--collector.kmsg.records-kept=100000000", "--collector.kmsg.records-kept"},
		{"--collector.kmsg.records-kept=-5", "--collector.kmsg.records-kept"},
		{"--collector.kmsg.records-kept=0", "--collector.kmsg.records-kept"},
		{"--state.keep-boots=-1", "--state.keep-boots"},
		{"--state.keep-boots=0", "--state.keep-boots"},
		{"--state.keep-boots=1000000000", "--state.keep-boots"},
		{"--collector.timeout=-1s", "--collector.timeout"},
		{"--collector.timeout=0s", "--collector.timeout"},
		{"--collector.timeout=2562047h", "--collector.timeout"},
		{"--collector.systemd.timeout=-5s", "--collector.systemd.timeout"},
		{"--collector.systemd.timeout=0s", "--collector.systemd.timeout"},
		{"--collector.systemd.max-calls-per-second=0", "--collector.systemd.max-calls-per-second"},
		{"--collector.systemd.max-calls-per-second=-25000", "--collector.systemd.max-calls-per-second"},
		{"--collector.systemd.max-calls-per-second=1000001", "--collector.systemd.max-calls-per-second"},
		{"--collector.firmware.refresh=-1m", "--collector.firmware.refresh"},
		{"--web.max-requests=-1", "--web.max-requests"},
		{"--path.sysfs=", "--path.sysfs"},
		{"--path.boot=", "--path.boot"},
		{"--state.dir=", "--state.dir"},
		{"--collector.systemd.unit-include=(", "unit-include"},
		{"--web.health-address=nonsense", "--web.health-address"},
		{"--web.health-address=" + unbindable, "also a --web.listen-address"},
		{"--nfd.interval=0s", "--nfd.interval"},
		{"--nfd.interval=-1m", "--nfd.interval"},
		{"--nfd.interval=24h1s", "--nfd.interval"},
		{"--nfd.expiry=-1h", "--nfd.expiry"},
		{"--nfd.expiry=119s", "at least twice --nfd.interval"},
		{"--nfd.features-dir=a\x00b", "--nfd.features-dir"},
	} {
		t.Run(tt.flag, func(t *testing.T) {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			rc, stderr := runCaught(t, serveArgs(t, tt.flag))
			runtime.ReadMemStats(&m1)
			if rc != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a message naming %s", rc, stderr, tt.want)
			}
			if n := strings.Count(stderr, "\n"); n > 1 {
				t.Errorf("%d lines on stderr, want the one message:\n%s", n, stderr)
			}
			if grown := m1.TotalAlloc - m0.TotalAlloc; grown > 64<<20 {
				t.Errorf("refusing the flag allocated %d MiB", grown>>20)
			}
		})
	}
}

// TestFlagsRefusedInEveryCommand: the flags shared by every command are
// checked for show too (with the kmsg collector on, the ring would be
// allocated before anything is shown).
func TestFlagsRefusedInEveryCommand(t *testing.T) {
	root := t.TempDir()
	for _, flag := range []string{"--collector.kmsg.records-kept=4611686018427387904", "--collector.timeout=-1s", "--state.keep-boots=-3"} {
		args := []string{"show", "kmsg", "--path.dev=" + root, flag}
		if rc, stderr := runCaught(t, args); rc != 2 || !strings.Contains(stderr, strings.SplitN(flag, "=", 2)[0]) {
			t.Errorf("show %s: exit %d, stderr %q; want 2 and the flag named", flag, rc, stderr)
		}
	}
}

// TestFlagsAcceptedAtTheirBounds: the largest and smallest values allowed
// pass validation; the agent then fails only where it cannot listen.
func TestFlagsAcceptedAtTheirBounds(t *testing.T) {
	rc, stderr := runCaught(t, serveArgs(t,
		fmt.Sprintf("--collector.kmsg.records-kept=%d", maxRecordsKept),
		fmt.Sprintf("--state.keep-boots=%d", maxKeepBoots),
		"--collector.timeout="+maxTimeout.String(),
		"--collector.systemd.timeout=1ms",
		"--collector.systemd.max-calls-per-second=1",
		"--collector.firmware.refresh=0s",
		"--web.max-requests=0",
		"--web.telemetry-path=/probe/metrics/",
		"--nfd.interval=24h",
		"--nfd.expiry=48h",
	))
	if rc != 1 || !strings.Contains(stderr, "cannot serve") {
		t.Errorf("exit %d, want 1 from listening on %s:\n%s", rc, unbindable, stderr)
	}
}

// TestCheckTelemetryPath: paths a scraper may be told to use pass.
func TestCheckTelemetryPath(t *testing.T) {
	for _, p := range []string{"/metrics", "/metrics/", "/probe/metrics", "/x-y_z.~1", "/healthz2", "/bootinfo-metrics", "/api/v1:metrics"} {
		if err := checkTelemetryPath(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
