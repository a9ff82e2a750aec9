package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/prometheus/common/promslog"
)

// svgFacts checks that body is well-formed XML (encoding/xml, strict, and
// xmllint) and counts its drawn units and phases.
func svgFacts(t *testing.T, body []byte) (units, phases int, leftOut string) {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("<svg ")) {
		t.Fatalf("not an inline-ready <svg>: %.80q", body)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "data-unit":
					units++
				case "data-phase":
					phases++
				case "data-units-left-out":
					leftOut = a.Value
				}
			}
		}
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		testutil.SkipOrFail(t, "xmllint (Debian libxml2-utils) is not installed: %v", err)
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
	return units, phases, leftOut
}

// TestServePlotSVG serves the timeline from the systemd and kmsg sections
// as the collectors give them, with --plot.units drawn and the host's
// strings escaped.
func TestServePlotSVG(t *testing.T) {
	bt := systemd.BootTimes{UserspaceUSec: 1_000_000, FinishUSec: 3_000_000, SecurityStartUSec: 1}
	in := systemd.SnapshotInput{Scope: systemd.ScopeSystem, Manager: systemd.Manager{BootTimes: bt}}
	for i, n := range []string{"a.service", "b.service", "c.service", "d.service"} {
		start := bt.UserspaceUSec + uint64(i)*1000
		in.Units = append(in.Units, systemd.Unit{Name: n, Times: systemd.UnitTimes{InactiveExitUSec: start, ActiveEnterUSec: start + uint64(i+1)*10_000}})
	}
	f, _ := systemd.NewFilter(".+", "")
	snap := systemd.BuildSnapshot(in, f)
	ks := &collectors.KmsgSection{Snapshot: kmsg.Snapshot{Milestones: kmsg.Milestones{
		KernelVersion: `6.1<script>&"`,
		InitHandoff:   &kmsg.Event{TimestampUsec: 900_000, Message: "Run /init as init process \xff<b>"},
		InitPath:      "/init",
	}}}
	set := collectors.NewSet(map[string]collectors.Collector{
		"systemd": funcCollector(func(context.Context) (*collectors.Snapshot, error) {
			return &collectors.Snapshot{Section: &collectors.SystemdSection{Snapshot: snap, Source: collectors.SourceManager}}, nil
		}),
		"kmsg": funcCollector(func(context.Context) (*collectors.Snapshot, error) {
			return &collectors.Snapshot{Section: ks}, nil
		}),
	}, time.Minute, promslog.NewNopLogger())
	h, err := newHandler(promslog.NewNopLogger(), set, serveFlags{telemetryPath: "/metrics", disableExporterMetrics: true, plotUnits: 3})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + plotPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	units, phases, leftOut := svgFacts(t, body)
	if units != 3 || leftOut != "1" || phases != 2 {
		t.Errorf("%d units (left out %s), %d phases; want 3 (1), 2 (kernel, userspace)", units, leftOut, phases)
	}
	for _, raw := range []string{"<script>", "<b>", "\xff"} {
		if bytes.Contains(body, []byte(raw)) {
			t.Errorf("%q reached the picture unescaped", raw)
		}
	}
	if !bytes.Contains(body, []byte("6.1&lt;script&gt;&amp;&#34;")) {
		t.Errorf("the kernel release is not in the title, escaped:\n%s", body)
	}
}

// TestShowSVGLab runs show --format svg against a real user manager.
func TestShowSVGLab(t *testing.T) {
	l := systemdlab.Start(t, systemdlab.Options{Units: 6})
	var out, errOut bytes.Buffer
	code := run([]string{"show", "--format", "svg", "--plot.units=4",
		"--collector.systemd.user", "--collector.systemd.source=manager", "--collector.systemd.address=" + l.PrivateAddress(),
		"--no-collector.host", "--no-collector.dmi", "--no-collector.history", "--no-collector.bootloader", "--no-collector.firmware"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	units, phases, _ := svgFacts(t, out.Bytes())
	if units != 4 || phases != 1 {
		t.Errorf("%d units, %d phases; want 4 and the user manager's userspace", units, phases)
	}

	for _, args := range [][]string{{"show", "systemd", "--format", "svg"}, {"show", "--format", "svg", "--plot.units=1001"}} {
		if code := run(args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
