package collectors

import (
	"strconv"
	"testing"
	"time"

	"github.com/bootinfo/bootinfo/grub"
	"github.com/bootinfo/bootinfo/systemd"
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
