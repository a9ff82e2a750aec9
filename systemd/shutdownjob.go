package systemd

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/godbus/dbus/v5"
)

// ShutdownJob is a queued start job of a unit that shuts the machine down.
type ShutdownJob struct {
	// Kind is what the unit does, as systemctl names it: "reboot",
	// "poweroff", "halt" or "kexec".
	Kind string
	// ID, Unit, Type and State are the job's, as `systemctl list-jobs`
	// shows them ("start", "waiting" or "running").
	ID    uint32
	Unit  string
	Type  string
	State string
}

// shutdownUnits maps the units whose start job means a shutdown of that
// kind (systemd.special(7)): the targets systemctl reboot and friends
// start, and the services those targets pull in.
var shutdownUnits = map[string]string{
	"reboot.target": "reboot", "systemd-reboot.service": "reboot",
	"poweroff.target": "poweroff", "systemd-poweroff.service": "poweroff",
	"halt.target": "halt", "systemd-halt.service": "halt",
	"kexec.target": "kexec", "systemd-kexec.service": "kexec",
}

// maxJobsReply bounds the manager's ListJobs reply. A job row is a few
// dozen bytes plus its unit's name and two object paths; even the
// thousands of jobs of a large host's boot transaction stay well below.
const maxJobsReply = 4 << 20

// jobRow is one entry of ListJobs (signature a(usssoo)).
type jobRow struct {
	ID       uint32
	Unit     string
	Type     string
	State    string
	JobPath  dbus.ObjectPath
	UnitPath dbus.ObjectPath
}

// QueuedShutdown asks the manager at address which shutdown it has
// queued: its ListJobs (read-only; nothing is loaded or started), over a
// connection of its own, closed before it returns. address is a D-Bus
// address (DefaultAddress gives the usual ones); bus says whether it is a
// message bus rather than the manager's private socket. It returns the
// first start job of reboot.target, poweroff.target, halt.target or
// kexec.target (or of their services), nil when there is none, and how
// many jobs the manager had queued. It returns by ctx's deadline even when
// the manager does not answer; the error of a missing socket (no manager
// here) wraps fs.ErrNotExist, and a reply over maxJobsReply bytes is an
// error.
func QueuedShutdown(ctx context.Context, address string, bus bool) (*ShutdownJob, int, error) {
	life, stop := context.WithCancel(ctx)
	defer stop()
	c, err := dialOver(ctx, life, address, bus, func(raw net.Conn) io.ReadWriteCloser {
		return newReplyCap(raw, maxJobsReply)
	})
	if err != nil {
		return nil, 0, err
	}
	defer c.close()
	var rows []jobRow
	if err := c.manager(ctx, "ListJobs", &rows); err != nil {
		return nil, 0, err
	}
	for _, j := range rows {
		if k, ok := shutdownUnits[j.Unit]; ok && j.Type == "start" {
			return &ShutdownJob{Kind: k, ID: j.ID, Unit: j.Unit, Type: j.Type, State: j.State}, len(rows), nil
		}
	}
	return nil, len(rows), nil
}

// String describes the job as `systemctl list-jobs` lists it.
func (j *ShutdownJob) String() string {
	return fmt.Sprintf("job %d %s %s %s", j.ID, j.Unit, j.Type, j.State)
}
