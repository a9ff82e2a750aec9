package systemd

import (
	"errors"

	"github.com/godbus/dbus/v5"
)

// dirty collects what signals said changed since the last refresh.
type dirty struct {
	units   map[string]bool
	manager bool
	files   bool
	full    bool
}

func newDirty() *dirty {
	return &dirty{units: map[string]bool{}}
}

func (d *dirty) pending() bool {
	return len(d.units) > 0 || d.manager || d.files || d.full
}

var errManagerGone = errors.New("manager left the bus")

func (d *dirty) add(s *dbus.Signal) error {
	str := func(i int) string {
		if i < len(s.Body) {
			v, _ := s.Body[i].(string)
			return v
		}
		return ""
	}
	switch s.Name {
	case managerIface + ".UnitNew", managerIface + ".UnitRemoved":
		// Whether the unit is still there is asked at refresh time:
		// godbus may deliver a burst of signals out of order.
		d.units[str(0)] = true
	case managerIface + ".JobNew", managerIface + ".JobRemoved":
		d.units[str(2)] = true
		d.manager = true
	case managerIface + ".StartupFinished":
		d.manager = true
	case managerIface + ".UnitFilesChanged":
		d.files = true
	case managerIface + ".Reloading":
		// A daemon-reload or reexec may change anything; resync once it
		// is over (the body is true when it starts).
		if len(s.Body) > 0 {
			if b, ok := s.Body[0].(bool); ok && !b {
				d.full = true
			}
		}
	case propsIface + ".PropertiesChanged":
		if s.Path == managerPath {
			d.manager = true
		} else if name, ok := unitNameFromPath(s.Path); ok {
			d.units[name] = true
		}
	case "org.freedesktop.DBus.NameOwnerChanged":
		if str(0) == busName {
			return errManagerGone
		}
	}
	delete(d.units, "")
	return nil
}
