package systemd

import (
	"errors"
	"fmt"
	"time"
)

// Errors callers branch on.
var (
	// ErrNotSynced: the watcher has not completed its first full sync.
	ErrNotSynced = errors.New("systemd: not synced yet")
	// ErrDisconnected: the connection to the manager is down (or the
	// manager stopped answering); the last good snapshot is stale.
	ErrDisconnected = errors.New("systemd: disconnected from the manager")
	// ErrStale: connected, but the snapshot has not been brought up to
	// date for too long (a call or sync is stuck); it wraps
	// ErrDisconnected, since the facts may be as old.
	ErrStale = fmt.Errorf("%w: snapshot stale", ErrDisconnected)
	// ErrUnitNotFound: the unit does not exist (no unit file, not loaded).
	ErrUnitNotFound = errors.New("systemd: unit not found")
)

// Snapshot is the manager's state at one moment. It is immutable: the
// watcher publishes a new one on every change.
type Snapshot struct {
	// SyncedAt is the last full resync; UpdatedAt the last change applied
	// from the manager's signals (or the resync).
	SyncedAt  time.Time `json:"synced_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Generation numbers the snapshots a Watcher built from the manager's
	// state: a snapshot only confirmed fresh (a newer UpdatedAt, nothing
	// else changed) keeps its generation, so consumers can tell that all
	// but the times are what they already have.
	Generation uint64   `json:"-"`
	Scope      string   `json:"scope"`
	Manager    Manager  `json:"manager"`
	Timeline   Timeline `json:"timeline"`
	// Blame is every unit that took time to start, slowest first.
	Blame []UnitTime `json:"blame"`
	// CriticalChain leads from the default target back to the start.
	CriticalChain []ChainLink `json:"critical_chain"`
	// CriticalChainTruncated says the chain stopped at MaxChainLinks.
	CriticalChainTruncated bool `json:"critical_chain_truncated,omitempty"`
	// Units are the loaded units that pass the filter, sorted by name.
	Units []Unit `json:"units"`
	// UnitFiles are the installed unit files that pass the filter, sorted
	// by name.
	UnitFiles []UnitFile `json:"unit_files"`
	// UnitFilesError says why the unit file list (and the units' unit file
	// states) is out of date or missing: the last ListUnitFiles failed.
	UnitFilesError string `json:"unit_files_error,omitempty"`
	// UnitFilesFrom says where the unit file list came from: "disk" (the
	// unit directories, along the manager's search path) or "manager"
	// (its ListUnitFiles); UnitFilesDiskError says why not from disk.
	UnitFilesFrom      string  `json:"unit_files_from,omitempty"`
	UnitFilesDiskError string  `json:"unit_files_disk_error,omitempty"`
	Summary            Summary `json:"summary"`
	// DetailComplete is false while the watcher has read only the units'
	// states (the first moments after it connects): units without their
	// detail have no Service, Timer, times or unit file state yet, and
	// there is no blame or critical chain.
	DetailComplete bool `json:"detail_complete"`
	// UnitsRefused counts units the manager listed that are left out: a
	// name that is not UTF-8 or is 256 bytes or longer (systemd's limit),
	// which no real manager sends.
	UnitsRefused int `json:"units_refused,omitempty"`
	// RecentFailures are the latest service failures the watcher saw on
	// the host, newest first, at most RecentFailuresKept (a service's
	// own last one is its LastFailure).
	RecentFailures []Failure `json:"recent_failures"`
}

// Age is how long ago the snapshot was last brought up to date.
func (s *Snapshot) Age(now time.Time) time.Duration { return now.Sub(s.UpdatedAt) }

// Unit returns the unit named name from the snapshot.
func (s *Snapshot) Unit(name string) (Unit, bool) {
	i, ok := searchUnits(s.Units, name)
	if !ok {
		return Unit{}, false
	}
	return s.Units[i], true
}

// Manager holds the manager-wide properties.
type Manager struct {
	Version        string    `json:"version"`
	Features       string    `json:"features"`
	Virtualization string    `json:"virtualization"`
	Architecture   string    `json:"architecture"`
	SystemState    string    `json:"system_state"`
	NFailedUnits   uint32    `json:"n_failed_units"`
	NJobs          uint32    `json:"n_jobs"`
	NNames         uint32    `json:"n_names"`
	DefaultTarget  string    `json:"default_target"` // GetDefaultTarget()
	ActiveTargets  Targets   `json:"active_targets"`
	BootTimes      BootTimes `json:"boot_times"`
}

// Targets says which of the well-known boot targets are active.
type Targets struct {
	Rescue    bool `json:"rescue"`
	Emergency bool `json:"emergency"`
	MultiUser bool `json:"multi_user"`
	Graphical bool `json:"graphical"`
}

// Unit is a loaded unit.
type Unit struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// LoadState is loaded, not-found, bad-setting, error or masked.
	LoadState   string `json:"load_state"`
	ActiveState string `json:"active_state"`
	SubState    string `json:"sub_state"`
	// UnitFileState comes from the unit file list (enabled, disabled,
	// static, masked, ...; a template's state for its instances); empty
	// for units without a unit file (devices, scopes, generated units).
	UnitFileState string `json:"unit_file_state"`
	FragmentPath  string `json:"fragment_path,omitempty"`
	SourcePath    string `json:"source_path,omitempty"`
	// SysV marks units generated from a SysV init script.
	SysV bool `json:"sysv,omitempty"`
	// NeedDaemonReload says the unit's file or drop-ins changed on disk
	// since the manager loaded them: what it runs is not what the files
	// say until a daemon-reload.
	NeedDaemonReload bool `json:"need_daemon_reload"`
	// StateChangeUSec is the realtime (CLOCK_REALTIME µs) of the last
	// state change (StateChangeTimestamp).
	StateChangeUSec uint64    `json:"state_change_usec"`
	Times           UnitTimes `json:"times"`
	// ActivationUSec is how long the unit took to start, as
	// systemd-analyze blame computes it (0: it did not, or boot is not
	// finished).
	ActivationUSec uint64 `json:"activation_usec"`
	// DetailError says which of the unit's properties the manager would
	// not give (access denied, no reply), which then read as zero; the
	// other units are read all the same.
	DetailError string `json:"detail_error,omitempty"`
	// LastFailure is the service's last run that ended in a result other
	// than success, kept across the automatic restarts that reset
	// systemd's own Result; FailureCounts counts the failures the watcher
	// saw, by result. Both nil for a unit that never failed.
	LastFailure   *Failure       `json:"last_failure,omitempty"`
	FailureCounts *FailureCounts `json:"failure_counts,omitempty"`
	Service       *Service       `json:"service,omitempty"`
	Timer         *Timer         `json:"timer,omitempty"`
}

// Type is the unit's type: the suffix after the last dot ("service").
func (u Unit) Type() string { return unitType(u.Name) }

// Service holds the properties of a service unit.
type Service struct {
	NRestarts      uint32 `json:"n_restarts"`
	Result         string `json:"result"`
	ExecMainStatus int32  `json:"exec_main_status"`
	// ExecMainCode says how the main process ended, as systemctl shows
	// it: exited (ExecMainStatus is its exit status), killed or dumped
	// (ExecMainStatus is the signal), "" while it runs.
	ExecMainCode string `json:"exec_main_code"`
	MainPID      uint32 `json:"main_pid"`
	Restart      string `json:"restart"`
}

// Timer holds the properties of a timer unit; times are microseconds,
// LastTrigger and NextElapseRealtime on CLOCK_REALTIME,
// NextElapseMonotonic on CLOCK_MONOTONIC (zero or USecInfinity: none).
type Timer struct {
	LastTriggerUSec         uint64 `json:"last_trigger_usec"`
	NextElapseRealtimeUSec  uint64 `json:"next_elapse_realtime_usec"`
	NextElapseMonotonicUSec uint64 `json:"next_elapse_monotonic_usec"`
	// NextElapseUSec is when the timer next triggers, CLOCK_REALTIME µs,
	// as systemctl list-timers shows it: the earlier of its calendar and
	// its monotonic trigger (0: none).
	NextElapseUSec uint64 `json:"next_elapse_usec"`
}

// UnitFile is an installed unit file, as ListUnitFiles reports it.
type UnitFile struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	State string `json:"state"`
	// Preset is the vendor preset (enabled, disabled), read from disk
	// in the files view; empty where systemctl shows none.
	Preset string `json:"preset,omitempty"`
}

// Summary counts the snapshot's units.
type Summary struct {
	Units         int            `json:"units"`
	ByActiveState map[string]int `json:"by_active_state"`
	ByLoadState   map[string]int `json:"by_load_state"`
	ByType        map[string]int `json:"by_type"`
	Failed        []string       `json:"failed"`
}

// UnitDetail is what `systemctl show` reports about one unit, the subset
// worth showing.
type UnitDetail struct {
	Unit
	Names      []string `json:"names"`
	Requires   []string `json:"requires"`
	Wants      []string `json:"wants"`
	After      []string `json:"after"`
	Before     []string `json:"before"`
	WantedBy   []string `json:"wanted_by"`
	RequiredBy []string `json:"required_by"`
	// ExecStart lists the command lines (path and argv) of ExecStart=.
	ExecStart [][]string `json:"exec_start,omitempty"`
	// The unit file as the manager loaded it: its drop-ins, and the
	// settings that decide what a failure leads to.
	DropInPaths            []string `json:"drop_in_paths"`
	StartLimitBurst        uint32   `json:"start_limit_burst"`
	StartLimitIntervalUSec uint64   `json:"start_limit_interval_usec"`
	// ServiceType (Type=), RestartUSec (RestartSec=), for services.
	ServiceType string `json:"service_type,omitempty"`
	RestartUSec uint64 `json:"restart_usec,omitempty"`
	// StartLimitHits counts the times the watcher saw the unit hit its
	// start limit.
	StartLimitHits uint64 `json:"start_limit_hits"`
	// State-enter timestamps, CLOCK_REALTIME µs.
	InactiveExitUSec  uint64 `json:"inactive_exit_usec"`
	ActiveEnterUSec   uint64 `json:"active_enter_usec"`
	ActiveExitUSec    uint64 `json:"active_exit_usec"`
	InactiveEnterUSec uint64 `json:"inactive_enter_usec"`
}
