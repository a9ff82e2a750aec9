package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"

	agent "github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/systemdlab"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestEndToEndSystemdLab serves a real systemd user manager through the
// agent.Binary(t): unit states in /metrics (linted by promtool), a unit's detail at
// /bootinfo/systemd/units/NAME and from show --unit, and 404 for a unit that
// does not exist.
func TestEndToEndSystemdLab(t *testing.T) {
	lab := systemdlab.Start(t, systemdlab.Options{
		Units: 10,
		Files: map[string]string{"web.service": "[Unit]\nDescription=lab web\n[Service]\nExecStart=/bin/sleep infinity\nRestart=on-failure\n[Install]\nWantedBy=default.target\n"},
		Wants: []string{"web.service"},
	})
	args := []string{"--no-collector.kmsg", "--no-collector.dmi", "--no-collector.firmware", "--no-collector.history",
		"--collector.systemd.user", "--collector.systemd.address=" + lab.PrivateAddress()}
	a := agent.Start(t, args...)
	var metrics []byte
	testutil.WaitFor(t, "web.service active in /metrics", func() error {
		_, _, metrics = a.Get(t, "GET", "/metrics")
		if !bytes.Contains(metrics, []byte(`bootinfo_systemd_unit_state{name="web.service",state="active"} 1`)) {
			return errors.New("not yet")
		}
		return nil
	}, a.Process)
	for _, want := range []string{
		`bootinfo_scrape_collector_success{collector="systemd"} 1`,
		`bootinfo_systemd_unit_state{name="web.service",state="active"} 1`,
		`bootinfo_systemd_unit_file_state{name="web.service",state="enabled"} 1`,
		`bootinfo_systemd_system_state{state="running"} 1`,
	} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtoolCheck(t, metrics)

	code, _, body := a.Get(t, "GET", "/bootinfo/systemd/units/web.service")
	var d struct {
		Description string `json:"description"`
		ActiveState string `json:"active_state"`
	}
	if err := json.Unmarshal(body, &d); code != 200 || err != nil || d.Description != "lab web" || d.ActiveState != "active" {
		t.Errorf("unit detail: %d %s", code, body)
	}
	if code, _, _ := a.Get(t, "GET", "/bootinfo/systemd/units/nosuch.service"); code != 404 {
		t.Errorf("missing unit: %d, want 404", code)
	}
	out, err := exec.Command(agent.Binary(t), append([]string{"show", "systemd", "--unit", "web.service"}, args...)...).Output()
	if err != nil || !bytes.Contains(out, []byte(`"description": "lab web"`)) {
		t.Errorf("show systemd --unit: %v\n%s", err, out)
	}
}
