package collectors

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/bootinfo/bootinfo/systemd/unitfiles"
	"github.com/prometheus/common/promslog"
)

// filesRoot lays out a small system root: a service enabled for
// multi-user.target, a drop-in and the default target.
func filesRoot(t *testing.T, booted bool) string {
	root := t.TempDir()
	files := map[string]string{
		"usr/lib/systemd/system/multi-user.target":     "[Unit]\n",
		"usr/lib/systemd/system/web.service":           "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/web.service.d/limits.conf": "[Service]\nLimitNOFILE=4096\n",
		"usr/lib/systemd/system-preset/90-test.preset": "disable *\n",
		"etc/init.d/legacy":                            "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: legacy\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n# Short-Description: A legacy daemon\n### END INIT INFO\n",
	}
	testutil.WriteTree(t, root, files)
	if err := os.MkdirAll(filepath.Join(root, "etc/systemd/system/multi-user.target.wants"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"etc/systemd/system/multi-user.target.wants/web.service": "/usr/lib/systemd/system/web.service",
		"etc/systemd/system/default.target":                      "/usr/lib/systemd/system/multi-user.target",
		"etc/rc3.d/S02legacy":                                    "../init.d/legacy",
		"etc/rc0.d/K01legacy":                                    "../init.d/legacy",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if booted {
		if err := os.MkdirAll(filepath.Join(root, "run/systemd/system"), 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		// SysV init's utmp: one RUN_LVL record (ut_type 1), runlevel 3
		// entered from S, in ut_pid's two low bytes (glibc, 384 bytes).
		rec := make([]byte, 384)
		binary.LittleEndian.PutUint16(rec[0:], 1)
		binary.LittleEndian.PutUint32(rec[4:], uint32('3')|uint32('S')<<8)
		if err := os.MkdirAll(filepath.Join(root, "run"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "run/utmp"), rec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func filesCollector(t *testing.T, root string, sc SystemdConfig) *systemdCollector {
	t.Helper()
	if sc.Timeout == 0 {
		sc.Timeout = time.Second
	}
	c, err := NewSystemdCollector(Config{Logger: promslog.NewNopLogger(), Paths: Paths{RootFS: root}, Systemd: sc})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*systemdCollector)
}

// TestSystemdFilesView: a root that did not boot with systemd (a rescue
// mount, a host with another init) is described from its files, says so
// and why, and has no unit detail.
func TestSystemdFilesView(t *testing.T) {
	root := filesRoot(t, false)
	c := filesCollector(t, root, SystemdConfig{Include: ".+"})
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sec := snap.Section.(*SystemdSection)
	if sec.Source != SourceFiles || !strings.Contains(sec.FilesReason, "did not boot with systemd") {
		t.Errorf("source %q, reason %q", sec.Source, sec.FilesReason)
	}
	want := systemd.ReadFiles(root, unitfiles.SystemPaths(), unitfiles.SystemPresetDirs)
	var web *systemd.UnitFile
	for i, f := range sec.UnitFiles {
		if f.Name == "web.service" {
			web = &sec.UnitFiles[i]
		}
	}
	if web == nil || web.State != "enabled" || web.Preset != "disabled" || len(sec.UnitFiles) != len(want.UnitFiles) {
		t.Errorf("unit files %+v, want those of ReadFiles %+v", sec.UnitFiles, want.UnitFiles)
	}
	if sec.DefaultTarget != "multi-user.target" || len(sec.DropIns["web.service"]) != 1 {
		t.Errorf("default target %q, drop-ins %v", sec.DefaultTarget, sec.DropIns)
	}
	if v := metricValue(t, snap, "bootinfo_systemd_source", "source=files"); v != 1 {
		t.Errorf("bootinfo_systemd_source{source=files} = %v", v)
	}
	if v := metricValue(t, snap, "bootinfo_systemd_unit_file_state", "name=web.service,state=enabled"); v != 1 {
		t.Errorf("unit file state of web.service = %v", v)
	}
	if len(sec.SysV) != 1 || sec.SysV[0].Description != "A legacy daemon" || !sec.SysV[0].Enabled("3") {
		t.Errorf("sysv %+v", sec.SysV)
	}
	if sec.Runlevel == nil || *sec.Runlevel != (Runlevel{Current: "3", Previous: "S"}) {
		t.Errorf("runlevel %+v", sec.Runlevel)
	}
	// A start link in rc3.d, a kill link in rc0.d, nothing in rc5.d.
	text := metricsText(t, snap, "bootinfo_sysv_service_enabled")
	for _, line := range []string{"{name=legacy,runlevel=3} 1", "{name=legacy,runlevel=0} 0"} {
		if !strings.Contains(text, "bootinfo_sysv_service_enabled"+line) {
			t.Errorf("no bootinfo_sysv_service_enabled%s in:\n%s", line, text)
		}
	}
	if strings.Contains(text, "runlevel=5") {
		t.Errorf("a series for a runlevel without links:\n%s", text)
	}
	if _, err := c.Query(context.Background(), "units/web.service", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unit detail without a manager: %v", err)
	}
}

// TestSystemdFilesWhenNoManagerAnswers: a root that booted with systemd
// but whose manager never answers is described from its files, with the
// reason; asked for the manager by flag, the collector fails instead.
func TestSystemdFilesWhenNoManagerAnswers(t *testing.T) {
	root := filesRoot(t, true)
	// The default address (the system manager's private socket), moved
	// where no manager listens, whatever this machine runs.
	nowhere := "unix:path=" + filepath.Join(t.TempDir(), "private")
	c := filesCollector(t, root, SystemdConfig{Include: ".+"})
	c.opts.Address = nowhere
	snap, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sec := snap.Section.(*SystemdSection); sec.Source != SourceFiles || !strings.HasPrefix(sec.FilesReason, "no manager answered: ") {
		t.Errorf("source %q, reason %q", sec.Source, sec.FilesReason)
	}
	c = filesCollector(t, root, SystemdConfig{Include: ".+", Source: SourceManager})
	c.opts.Address = nowhere
	if _, err := c.Collect(context.Background()); err == nil {
		t.Error("with --collector.systemd.source=manager an absent manager is not an error")
	}
}
