package collectors

import (
	"context"
	"errors"
	iofs "io/fs"
	"syscall"
	"time"

	"github.com/bootinfo/bootinfo/systemd"
)

// scheduledShutdown puts logind's scheduled shutdown or reboot in sec, or
// why it could not be read in errs. A host without a system bus has none
// to report, and that is no fault.
func (c *bootloaderCollector) scheduledShutdown(ctx context.Context, sec *BootloaderSection, errs map[string]string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	switch ss, err := systemd.ReadScheduledShutdown(ctx, c.logind, c.paths.RootFS); {
	case err == nil:
		sec.ScheduledShutdown = ss
	case errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED):
		// No system bus (containers without it, hosts without systemd).
	default:
		errs["scheduled_shutdown"] = err.Error()
	}
}
