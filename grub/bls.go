package grub

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Boot Loader Specification (UAPI.1, "Type #1 Boot Loader Entry Files"):
// loader/entries/*.conf files of "key value" lines ('#' comments, blank
// lines ignored). GRUB's blscfg command (a Fedora / RHEL patch) turns each
// into a menu entry whose id is the file name without ".conf"; systemd-boot
// reads them directly.

// BLSEntry is one Boot Loader Specification type #1 entry.
type BLSEntry struct {
	// ID is the file name without ".conf".
	ID        string   `json:"id"`
	Title     string   `json:"title,omitempty"`
	Version   string   `json:"version,omitempty"`
	MachineID string   `json:"machine_id,omitempty"`
	SortKey   string   `json:"sort_key,omitempty"`
	Linux     string   `json:"linux,omitempty"`
	EFI       string   `json:"efi,omitempty"`
	Initrd    []string `json:"initrd,omitempty"`
	// Options are the "options" lines, in order; the kernel command line
	// is their concatenation.
	Options []string `json:"options,omitempty"`
	// GrubArg, GrubClass and GrubUsers are the Fedora extensions blscfg
	// passes to menuentry.
	GrubArg   string `json:"grub_arg,omitempty"`
	GrubClass string `json:"grub_class,omitempty"`
	GrubUsers string `json:"grub_users,omitempty"`
}

// maxSmallFile bounds one BLS entry or loader.conf file.
const maxSmallFile = 1 << 20

// ParseBLSEntry parses one entry file; id is its file name without
// ".conf". Unknown keys are ignored, as the specification requires; a line
// without a value is reported in the error (wrapping ErrMalformed) and
// skipped.
func ParseBLSEntry(id string, data []byte) (BLSEntry, error) {
	e := BLSEntry{ID: id}
	// The keys that hold one value; a repeated one keeps its last.
	single := map[string]*string{
		"title": &e.Title, "version": &e.Version, "machine-id": &e.MachineID,
		"sort-key": &e.SortKey, "linux": &e.Linux, "efi": &e.EFI,
		"grub_arg": &e.GrubArg, "grub_class": &e.GrubClass, "grub_users": &e.GrubUsers,
	}
	var bad []string
	err := eachKeyValue(data, func(line int, k, v string) {
		if p, ok := single[k]; ok {
			*p = v
			return
		}
		switch k {
		case "initrd":
			e.Initrd = append(e.Initrd, strings.Fields(v)...)
		case "options":
			e.Options = append(e.Options, v)
		case "":
			bad = append(bad, "line "+strconv.Itoa(line))
		}
	})
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("%w: bls %s: lines without a key: %s", ErrMalformed, id, strings.Join(bad, ", "))
	}
	return e, err
}

// eachKeyValue calls fn for each "key value" line; key is "" for a line that
// starts with blank space or otherwise has no key.
func eachKeyValue(data []byte, fn func(line int, k, v string)) error {
	if len(data) > maxSmallFile {
		return fmt.Errorf("%w: file larger than %d bytes", ErrTooComplex, maxSmallFile)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxSmallFile+1)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		t := strings.TrimLeft(line, " \t")
		if t == "" || t[0] == '#' {
			continue
		}
		k, v := t, ""
		if i := strings.IndexAny(t, " \t"); i >= 0 {
			k, v = t[:i], strings.TrimLeft(t[i:], " \t")
		}
		fn(n, k, v)
	}
	return sc.Err()
}

// CommandLine returns the kernel command line: the options lines joined.
func (e *BLSEntry) CommandLine() string { return strings.Join(e.Options, " ") }

// grubTitle is the menu title blscfg gives the entry.
func (e *BLSEntry) grubTitle() string {
	if e.Title != "" {
		return e.Title
	}
	return e.ID
}

// grubScript is the menu entry body GRUB's blscfg generates: the values go
// in unquoted, so that $kernelopts and $tuned_params expand when the entry
// boots.
func (e *BLSEntry) grubScript() string {
	var b strings.Builder
	if e.Linux != "" {
		b.WriteString("linux " + e.Linux)
		if o := e.CommandLine(); o != "" {
			b.WriteString(" " + o)
		}
		b.WriteString("\n")
	}
	if len(e.Initrd) > 0 {
		b.WriteString("initrd " + strings.Join(e.Initrd, " ") + "\n")
	}
	return b.String()
}

// SortBLSGrub sorts entries the way GRUB's blscfg (Fedora grub2 2.02/2.06)
// orders its menu: newest first by the "version" key compared with RPM's
// version comparison, CompareVersions (entries with a version before those
// without), then by file name compared the same way.
func SortBLSGrub(entries []BLSEntry) {
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := &entries[i], &entries[j]
		if (a.Version != "") != (b.Version != "") {
			return a.Version != ""
		}
		if r := CompareVersions(a.Version, b.Version); r != 0 {
			return r > 0
		}
		return CompareVersions(a.ID, b.ID) > 0
	})
}

// SortBLSSystemd sorts entries the way the Boot Loader Specification
// ("Sorting") and systemd-boot order them: entries with a sort-key first,
// by sort-key, then machine-id ascending, then version descending; entries
// without a sort-key by file name, newest version first.
func SortBLSSystemd(entries []BLSEntry) {
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := &entries[i], &entries[j]
		if (a.SortKey != "") != (b.SortKey != "") {
			return a.SortKey != ""
		}
		if a.SortKey != "" {
			if a.SortKey != b.SortKey {
				return a.SortKey < b.SortKey
			}
			if a.MachineID != b.MachineID {
				return a.MachineID < b.MachineID
			}
			if r := CompareVersions(a.Version, b.Version); r != 0 {
				return r > 0
			}
		}
		return CompareVersions(a.ID, b.ID) > 0
	})
}

// LoaderConf is systemd-boot's loader/loader.conf.
type LoaderConf struct {
	// Default is the "default" glob pattern (or "@saved").
	Default string `json:"default,omitempty"`
	// Timeout is the menu timeout in seconds; nil when not set, -1 for
	// "menu-force" (wait forever).
	Timeout *int `json:"timeout,omitempty"`
	// Other holds the remaining keys.
	Other map[string]string `json:"other,omitempty"`
}

// ParseLoaderConf parses loader.conf (loader.conf(5)). An unparsable
// timeout is reported in the error (wrapping ErrMalformed).
func ParseLoaderConf(data []byte) (*LoaderConf, error) {
	lc := &LoaderConf{}
	var bad []string
	err := eachKeyValue(data, func(line int, k, v string) {
		switch k {
		case "default":
			lc.Default = v
		case "timeout":
			switch v {
			case "menu-force", "menu-hidden", "menu-disabled":
				n := -1
				if v != "menu-force" {
					n = 0
				}
				lc.Timeout = &n
			default:
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					bad = append(bad, "line "+strconv.Itoa(line)+": timeout "+strconv.Quote(v))
					return
				}
				lc.Timeout = &n
			}
		case "":
		default:
			if lc.Other == nil {
				lc.Other = map[string]string{}
			}
			lc.Other[k] = v
		}
	})
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("%w: loader.conf: %s", ErrMalformed, strings.Join(bad, ", "))
	}
	return lc, err
}

// SystemdBootConfig builds a Config from systemd-boot's loader.conf (nil if
// absent) and its entries, sorting them as systemd-boot does.
func SystemdBootConfig(lc *LoaderConf, entries []BLSEntry) *Config {
	cfg := &Config{Loader: LoaderSystemdBoot, Entries: []Entry{}, BLS: true, DefaultFrom: "unset"}
	es := append([]BLSEntry(nil), entries...)
	SortBLSSystemd(es)
	if lc != nil {
		cfg.Timeout = lc.Timeout
		if lc.Default != "" {
			cfg.DefaultEntry, cfg.DefaultFrom = lc.Default, "config"
		}
	}
	for i := range es {
		b := &es[i]
		e := Entry{
			Title: b.Title, ID: b.ID, Index: strconv.Itoa(i), Kind: KindLinux,
			Kernel: b.Linux, Initrd: b.Initrd, Args: b.CommandLine(),
			Source: "bls:" + b.ID + ".conf", path: []int{i},
			sortKey: b.SortKey, machineID: b.MachineID, version: b.Version,
		}
		if e.Title == "" {
			e.Title = b.ID
		}
		if b.Linux == "" && b.EFI != "" {
			e.Kind, e.Kernel = KindEFI, b.EFI
		}
		cfg.Entries = append(cfg.Entries, e)
	}
	return cfg
}

// globMatch matches a systemd-boot default pattern against an entry id,
// with and without the ".conf" suffix systemd-boot's ids carry.
func globMatch(pattern, id string) bool {
	for _, s := range []string{id, id + ".conf"} {
		if ok, err := path.Match(pattern, s); err == nil && ok {
			return true
		}
	}
	return false
}
