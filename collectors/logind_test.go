package collectors

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/grub"
	"github.com/bootinfo/bootinfo/internal/testing/fakelogind"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/prometheus/common/promslog"
)

// TestScheduledShutdownMetric: a reboot logind has scheduled is the
// timestamp sample of its kind. (systemd's tests read the property from a
// bus; here the section is given.)
func TestScheduledShutdownMetric(t *testing.T) {
	at := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	c, err := NewBootloaderCollector(Config{})
	if err != nil {
		t.Fatal(err)
	}
	sec := &BootloaderSection{Loader: grub.LoaderUnknown, ScheduledShutdown: &systemd.ScheduledShutdown{Kind: "reboot", At: at}}
	snap := &Snapshot{Metrics: c.(*bootloaderCollector).metrics(sec)}
	want := "bootinfo_scheduled_shutdown_timestamp_seconds{kind=reboot} " + strconv.FormatFloat(float64(at.Unix()), 'g', -1, 64) + "\n"
	if got := metricsText(t, snap, "bootinfo_scheduled_shutdown_timestamp_seconds"); got != want {
		t.Errorf("metric %q, want %q", got, want)
	}
}

// TestScheduledShutdownPastYear9999: logind answering with a shutdown
// past year 9999 (which no JSON time can hold) leaves the time out of the
// section and the metrics, says why in the section's errors, and the
// document still encodes.
func TestScheduledShutdownPastYear9999(t *testing.T) {
	usec := uint64(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro())
	cfg := Config{
		Paths:      Paths{RootFS: t.TempDir(), Boot: t.TempDir(), ProcFS: "/nonexistent", SysFS: "/nonexistent"},
		Bootloader: BootloaderConfig{LogindAddress: fakelogind.Start(t, fakelogind.Shutdown{Kind: "reboot", USec: usec})},
	}
	c, snap := collect(t, NewBootloaderCollector, cfg)
	sec := snap.Section.(*BootloaderSection)
	if sec.ScheduledShutdown != nil {
		t.Errorf("scheduled shutdown kept: %+v", sec.ScheduledShutdown)
	}
	if msg := sec.Errors["scheduled_shutdown"]; !strings.Contains(msg, "past the end of year 9999") {
		t.Errorf("errors[scheduled_shutdown] = %q", msg)
	}
	if m := metricsText(t, snap, "bootinfo_scheduled_shutdown_timestamp_seconds"); m != "" {
		t.Errorf("metric for an impossible time: %s", m)
	}
	set := NewSet(map[string]Collector{"bootloader": c}, time.Minute, promslog.NewNopLogger())
	blocks, err := set.DocumentBlocks(set.Gather(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Bootloader struct {
			Errors map[string]string `json:"errors"`
		} `json:"bootloader"`
	}
	if err := json.Unmarshal([]byte(spliced(t, blocks)), &doc); err != nil || doc.Bootloader.Errors["scheduled_shutdown"] == "" {
		t.Errorf("document: %+v, %v", doc, err)
	}
}
