package kmsg

import (
	"regexp"
	"strings"
	"sync"
)

// Event is one record that a summary remembers: when it was logged and
// what it said.
type Event struct {
	Seq           uint64  `json:"seq"`
	TimestampUsec uint64  `json:"timestamp_usec"`
	Seconds       float64 `json:"seconds"`
	Message       string  `json:"message"`
}

func eventOf(r Record) *Event {
	return &Event{Seq: r.Seq, TimestampUsec: r.TimestampUsec, Seconds: float64(r.TimestampUsec) / 1e6, Message: r.Message}
}

// ProblemCount is how often a Problem occurred since boot and its last
// occurrence.
type ProblemCount struct {
	Count uint64 `json:"count"`
	Last  *Event `json:"last,omitempty"`
}

// Milestones are the boot facts the kernel log states once. Each is nil
// (and its derived fields empty) until its record was seen; all come from
// facility kern only.
type Milestones struct {
	// KernelBanner is "Linux version ..."; KernelVersion its release.
	KernelBanner  *Event `json:"kernel_banner,omitempty"`
	KernelVersion string `json:"kernel_version,omitempty"`
	// CommandLine is "Command line: ..." (x86) or, when that is absent,
	// "Kernel command line: ..."; CommandLineText the text after it.
	CommandLine     *Event `json:"command_line,omitempty"`
	CommandLineText string `json:"command_line_text,omitempty"`
	// EFI is "efi: EFI v2.70 by EDK II".
	EFI        *Event `json:"efi,omitempty"`
	EFIVersion string `json:"efi_version,omitempty"`
	EFIVendor  string `json:"efi_vendor,omitempty"`
	// SMBIOS is "SMBIOS 3.0.0 present." (or "... entry point at ...").
	SMBIOS        *Event `json:"smbios,omitempty"`
	SMBIOSVersion string `json:"smbios_version,omitempty"`
	// DMI is the "DMI: <vendor> <product>, BIOS <version> <date>" line.
	DMI *Event `json:"dmi,omitempty"`
	// SecureBoot is the kernel's Secure Boot report; SecureBootState is
	// "enabled", "disabled" or "unknown" ("could not be determined").
	SecureBoot      *Event `json:"secure_boot,omitempty"`
	SecureBootState string `json:"secure_boot_state,omitempty"`
	// InitHandoff is "Run /init as init process" (the last such line, as
	// the kernel tries candidates in turn); InitPath the program.
	InitHandoff *Event `json:"init_handoff,omitempty"`
	InitPath    string `json:"init_path,omitempty"`
	// FreeingInitMem is the first "Freeing unused kernel image ..."
	// ("Freeing unused kernel memory" before 5.2) line, when the kernel
	// discarded its init code just before starting init.
	FreeingInitMem *Event `json:"freeing_init_mem,omitempty"`
	// Taint is what the log says about kernel taint.
	Taint Taint `json:"taint"`
}

// Taint collects the kernel's taint reports.
type Taint struct {
	// Tainted is true once any record showed a taint.
	Tainted bool `json:"tainted"`
	// Flags are the taint letters of the last "Tainted:" line (such as
	// "G W O"), or "" when only "Not tainted" was printed.
	Flags string `json:"flags,omitempty"`
	// First is the first record that tainted the kernel or said so
	// ("loading out-of-tree module taints kernel", "Disabling lock
	// debugging due to kernel taint", "... Tainted: ...").
	First *Event `json:"first,omitempty"`
	// Reasons counts distinct "... taints kernel" / "tainting kernel"
	// messages (at most 16 kept).
	Reasons []string `json:"reasons,omitempty"`
}

// Snapshot is a point-in-time copy of a Summary, ready for encoding as
// JSON.
type Snapshot struct {
	RecordsSeen uint64 `json:"records_seen"`
	// FirstSeq and LastSeq are the lowest and highest sequence numbers
	// seen; FirstSeq above 0 means the ring buffer had already dropped
	// that many records before reading began.
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	// RecordsLost counts the records missing between those seen: gaps in
	// the sequence, such as after an EPIPE from the device.
	RecordsLost uint64 `json:"records_lost"`
	// Levels and Facilities count records by syslog name; every level
	// and the facilities seen appear.
	Levels     map[string]uint64 `json:"levels"`
	Facilities map[string]uint64 `json:"facilities"`
	// KernelRecords counts facility-kern records; the rest came from user
	// space.
	KernelRecords uint64     `json:"kernel_records"`
	Milestones    Milestones `json:"milestones"`
	// Problems has an entry for every Problem, zero counts included.
	Problems map[Problem]ProblemCount `json:"problems"`
}

// Summary accumulates counts over records fed to it in order. It is safe
// for concurrent use and holds a bounded amount of memory however many
// records it sees.
type Summary struct {
	mu         sync.Mutex
	seen       uint64
	first      uint64
	last       uint64
	lost       uint64
	kernel     uint64
	levels     [8]uint64
	facilities map[Facility]uint64
	ms         Milestones
	problems   map[Problem]*ProblemCount
	cls        classifier
}

// NewSummary returns an empty Summary.
func NewSummary() *Summary {
	return &Summary{
		facilities: make(map[Facility]uint64),
		problems:   make(map[Problem]*ProblemCount, len(Problems)),
	}
}

// Add counts one record. Records are expected in sequence order; a jump
// forward counts the skipped numbers as lost, and a record at or below the
// last sequence (a re-read) is counted but adds no loss.
func (s *Summary) Add(r Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == 0 {
		s.first, s.last = r.Seq, r.Seq
	} else {
		if r.Seq > s.last+1 {
			s.lost += r.Seq - s.last - 1
		}
		s.last = max(s.last, r.Seq)
		s.first = min(s.first, r.Seq)
	}
	s.seen++
	s.levels[r.Level&7]++
	s.facilities[r.Facility]++
	if r.Facility != FacilityKern {
		return
	}
	s.kernel++
	s.milestone(r)
	if p, ok := s.cls.classify(r); ok {
		pc := s.problems[p]
		if pc == nil {
			pc = &ProblemCount{}
			s.problems[p] = pc
		}
		pc.Count++
		pc.Last = eventOf(r)
	}
}

// AddLost counts records known to be lost that no sequence gap shows. Add
// already counts every gap between the records fed to it, so do not also
// add Device.Lost for the same records: AddLost is for losses outside
// them, such as records the kernel skipped before the first one read.
func (s *Summary) AddLost(n uint64) {
	s.mu.Lock()
	s.lost += n
	s.mu.Unlock()
}

// Snapshot returns a copy of the current state.
func (s *Summary) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{
		RecordsSeen:   s.seen,
		FirstSeq:      s.first,
		LastSeq:       s.last,
		RecordsLost:   s.lost,
		KernelRecords: s.kernel,
		Levels:        make(map[string]uint64, 8),
		Facilities:    make(map[string]uint64, len(s.facilities)),
		Milestones:    s.ms,
		Problems:      make(map[Problem]ProblemCount, len(Problems)),
	}
	snap.Milestones.Taint.Reasons = append([]string(nil), s.ms.Taint.Reasons...)
	for l, n := range s.levels {
		snap.Levels[Level(l).String()] = n
	}
	for f, n := range s.facilities {
		snap.Facilities[f.String()] += n
	}
	for _, p := range Problems {
		if pc := s.problems[p]; pc != nil {
			snap.Problems[p] = *pc
		} else {
			snap.Problems[p] = ProblemCount{}
		}
	}
	return snap
}

var (
	reEFI        = regexp.MustCompile(`^efi: EFI v([0-9.]+) by (.*)$`)
	reSMBIOS     = regexp.MustCompile(`^SMBIOS ([0-9.]+) present`)
	reSecureBoot = regexp.MustCompile(`(?i)secure ?boot (?:is |mode )?(enabled|disabled|could not be determined)`)
	reRunInit    = regexp.MustCompile(`^Run (\S+) as init process`)
	reTaintFlags = regexp.MustCompile(`\[([A-Z])\]=`)
)

func (s *Summary) milestone(r Record) {
	m := r.Message
	ms := &s.ms
	switch {
	case strings.HasPrefix(m, "Linux version "):
		if ms.KernelBanner == nil {
			ms.KernelBanner = eventOf(r)
			v, _, _ := strings.Cut(strings.TrimPrefix(m, "Linux version "), " ")
			ms.KernelVersion = v
		}
	case strings.HasPrefix(m, "Command line: "):
		// x86's early line wins over "Kernel command line:" which
		// start_kernel prints later.
		if ms.CommandLine == nil || strings.HasPrefix(ms.CommandLine.Message, "Kernel ") {
			ms.CommandLine = eventOf(r)
			ms.CommandLineText = strings.TrimPrefix(m, "Command line: ")
		}
	case strings.HasPrefix(m, "Kernel command line: "):
		if ms.CommandLine == nil {
			ms.CommandLine = eventOf(r)
			ms.CommandLineText = strings.TrimPrefix(m, "Kernel command line: ")
		}
	case strings.HasPrefix(m, "efi: EFI v"):
		if sm := reEFI.FindStringSubmatch(m); sm != nil && ms.EFI == nil {
			ms.EFI = eventOf(r)
			ms.EFIVersion, ms.EFIVendor = sm[1], sm[2]
		}
	case strings.HasPrefix(m, "SMBIOS "):
		if sm := reSMBIOS.FindStringSubmatch(m); sm != nil && ms.SMBIOS == nil {
			ms.SMBIOS = eventOf(r)
			ms.SMBIOSVersion = sm[1]
		}
	case strings.HasPrefix(m, "DMI: "):
		if ms.DMI == nil {
			ms.DMI = eventOf(r)
		}
	case strings.HasPrefix(m, "Run ") && strings.Contains(m, " as init process"):
		if sm := reRunInit.FindStringSubmatch(m); sm != nil {
			ms.InitHandoff = eventOf(r)
			ms.InitPath = sm[1]
		}
	case strings.HasPrefix(m, "Freeing unused kernel image") || strings.HasPrefix(m, "Freeing unused kernel memory"):
		if ms.FreeingInitMem == nil {
			ms.FreeingInitMem = eventOf(r)
		}
	case (strings.Contains(m, "ecure boot") || strings.Contains(m, "ecure Boot") || strings.Contains(m, "ecureBoot")) && reSecureBoot.MatchString(m):
		ms.SecureBoot = eventOf(r)
		switch st := strings.ToLower(reSecureBoot.FindStringSubmatch(m)[1]); st {
		case "could not be determined":
			ms.SecureBootState = "unknown"
		default:
			ms.SecureBootState = st
		}
	}
	s.taint(r)
}

func (s *Summary) taint(r Record) {
	m := r.Message
	t := &s.ms.Taint
	mark := func() {
		t.Tainted = true
		if t.First == nil {
			t.First = eventOf(r)
		}
	}
	switch {
	case strings.Contains(m, "taints kernel") || strings.Contains(m, "tainting kernel"):
		mark()
		if len(t.Reasons) < 16 {
			reason := m
			for _, have := range t.Reasons {
				if have == reason {
					return
				}
			}
			t.Reasons = append(t.Reasons, reason)
		}
	case strings.HasPrefix(m, "Disabling lock debugging due to kernel taint"):
		mark()
	case strings.HasPrefix(m, "Tainted: ") || strings.Contains(m, " Tainted: "):
		// "CPU: 1 PID: 9 Comm: x Tainted: G        W  O      6.1.0 #1"
		// (letters in fixed columns) or, from 6.10 on, a separate
		// "Tainted: [W]=WARN, [O]=OOT_MODULE" line.
		_, rest, _ := strings.Cut(m, "Tainted: ")
		var flags []string
		if sm := reTaintFlags.FindAllStringSubmatch(rest, -1); sm != nil {
			for _, f := range sm {
				flags = append(flags, f[1])
			}
		} else {
			// One column per taint bit, then the release, which starts
			// with a digit.
			for i := 0; i < len(rest); i++ {
				c := rest[i]
				if c == ' ' {
					continue
				}
				if c < 'A' || c > 'Z' {
					break
				}
				flags = append(flags, rest[i:i+1])
			}
		}
		if len(flags) > 0 {
			mark()
			t.Flags = strings.Join(flags, " ")
		}
	}
}
