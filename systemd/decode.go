package systemd

import "github.com/godbus/dbus/v5"

// props reads typed values out of a GetAll reply; a missing property or
// one of an unexpected type reads as the zero value, so a manager older or
// newer than expected degrades field by field instead of failing.
type props map[string]dbus.Variant

// prop reads property k as a T: the zero value when it is missing or of
// another type.
func prop[T any](p props, k string) T {
	v, _ := p[k].Value().(T)
	return v
}

func (p props) str(k string) string    { return prop[string](p, k) }
func (p props) u64(k string) uint64    { return prop[uint64](p, k) }
func (p props) u32(k string) uint32    { return prop[uint32](p, k) }
func (p props) i32(k string) int32     { return prop[int32](p, k) }
func (p props) strs(k string) []string { return prop[[]string](p, k) }
func (p props) bool(k string) bool     { return prop[bool](p, k) }

// execCommands decodes an Exec*= property (signature a(sasbttttuii)) into
// argv lists (the path is argv[0]'s executable; systemctl shows argv).
func (p props) execCommands(k string) [][]string {
	rows := prop[[][]any](p, k)
	var out [][]string
	for _, r := range rows {
		if len(r) < 2 {
			continue
		}
		argv, _ := r[1].([]string)
		if len(argv) == 0 {
			if path, ok := r[0].(string); ok {
				argv = []string{path}
			}
		}
		out = append(out, argv)
	}
	return out
}

// unitFromProps fills a Unit from org.freedesktop.systemd1.Unit properties.
func unitFromProps(name string, p props) Unit {
	u := Unit{
		Name:             name,
		Description:      p.str("Description"),
		LoadState:        p.str("LoadState"),
		ActiveState:      p.str("ActiveState"),
		SubState:         p.str("SubState"),
		FragmentPath:     p.str("FragmentPath"),
		SourcePath:       p.str("SourcePath"),
		StateChangeUSec:  p.u64("StateChangeTimestamp"),
		NeedDaemonReload: p.bool("NeedDaemonReload"), // Detail's GetAll has it
		Times: UnitTimes{
			InactiveExitUSec:  p.u64("InactiveExitTimestampMonotonic"),
			ActiveEnterUSec:   p.u64("ActiveEnterTimestampMonotonic"),
			ActiveExitUSec:    p.u64("ActiveExitTimestampMonotonic"),
			InactiveEnterUSec: p.u64("InactiveEnterTimestampMonotonic"),
		},
	}
	u.SysV = IsSysV(u.SourcePath)
	return u
}

func serviceFromProps(p props) *Service {
	return &Service{
		NRestarts:      p.u32("NRestarts"),
		Result:         p.str("Result"),
		ExecMainStatus: p.i32("ExecMainStatus"),
		ExecMainCode:   sigchldCode(p.i32("ExecMainCode")),
		MainPID:        p.u32("MainPID"),
		Restart:        p.str("Restart"),
	}
}

func timerFromProps(p props) *Timer {
	return &Timer{
		LastTriggerUSec:         p.u64("LastTriggerUSec"),
		NextElapseRealtimeUSec:  p.u64("NextElapseUSecRealtime"),
		NextElapseMonotonicUSec: p.u64("NextElapseUSecMonotonic"),
	}
}

func managerFromProps(p props) (Manager, BootTimes) {
	m := Manager{
		Version:        p.str("Version"),
		Features:       p.str("Features"),
		Virtualization: p.str("Virtualization"),
		Architecture:   p.str("Architecture"),
		SystemState:    p.str("SystemState"),
		NFailedUnits:   p.u32("NFailedUnits"),
		NJobs:          p.u32("NJobs"),
		NNames:         p.u32("NNames"),
	}
	bt := BootTimes{
		FirmwareUSec:      p.u64("FirmwareTimestampMonotonic"),
		LoaderUSec:        p.u64("LoaderTimestampMonotonic"),
		InitRDUSec:        p.u64("InitRDTimestampMonotonic"),
		UserspaceUSec:     p.u64("UserspaceTimestampMonotonic"),
		FinishUSec:        p.u64("FinishTimestampMonotonic"),
		SecurityStartUSec: p.u64("SecurityStartTimestampMonotonic"),
	}
	m.BootTimes = bt
	return m, bt
}

// sigchldCode names a SIGCHLD si_code (ExecMainCode) as systemd's
// sigchld_code_to_string does; "" for none.
func sigchldCode(c int32) string {
	switch c {
	case 1:
		return "exited"
	case 2:
		return "killed"
	case 3:
		return "dumped"
	case 4:
		return "trapped"
	case 5:
		return "stopped"
	case 6:
		return "continued"
	}
	return ""
}
