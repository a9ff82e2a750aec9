package collectors

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"strconv"

	"github.com/bootinfo/bootinfo/dmi"
	"github.com/prometheus/client_golang/prometheus"
)

// DMIConfig holds the dmi collector's options.
type DMIConfig struct {
	// Serials exposes serial numbers, UUIDs and asset tags; false withholds
	// them from the JSON section and every metric.
	Serials bool
}

// DMISection is the JSON section "dmi".
type DMISection struct {
	// Source is "tables" (the raw SMBIOS tables), "sysfs-dmi-id" (the
	// world-readable /sys/class/dmi/id attributes, when the tables cannot be
	// read, e.g. without root), or "none" when the host has no SMBIOS.
	Source string `json:"source"`
	*dmi.Summary
	SerialsWithheld bool              `json:"serials_withheld,omitempty"`
	Errors          map[string]string `json:"errors,omitempty"`
}

type dmiCollector struct {
	fs      dmi.FS
	serials bool
	logger  *slog.Logger

	cache snapshotCache

	info, tables, memTotal, memMax, memSlots, dimm, cpuInfo, cores, threads, maxSpeed, bootStatus *prometheus.Desc
}

// NewDMICollector reports the SMBIOS/DMI hardware inventory.
func NewDMICollector(cfg Config) (Collector, error) {
	return &dmiCollector{
		fs:      dmi.NewFS(cfg.Paths.SysFS),
		serials: cfg.DMI.Serials,
		logger:  cfg.Logger,
		info: desc("dmi_info", "SMBIOS identity of the machine; the same labels whether read from the tables (root) or /sys/class/dmi/id; value 1.",
			"bios_vendor", "bios_version", "bios_date", "system_vendor", "product_name", "product_version", "product_family", "board_vendor", "board_name", "chassis_type"),
		tables:   desc("dmi_tables_readable", "Whether the raw SMBIOS tables could be read (1) or only /sys/class/dmi/id (0)."),
		memTotal: desc("memory_installed_bytes", "Total size of the populated memory devices (SMBIOS type 17)."),
		memMax:   desc("memory_max_capacity_bytes", "Maximum memory the system's memory arrays can hold (SMBIOS type 16)."),
		memSlots: desc("memory_slots", "Number of memory device slots, populated or not (SMBIOS type 17)."),
		dimm: desc("memory_device_size_bytes", "Size of one populated memory device (DIMM).",
			"locator", "bank", "type", "form_factor", "manufacturer", "part_number"),
		cpuInfo:    desc("processor_info", "One populated processor socket (SMBIOS type 4); value 1.", "socket", "manufacturer", "family", "version"),
		cores:      desc("processor_cores", "Cores of the processor in one socket.", "socket"),
		threads:    desc("processor_threads", "Threads of the processor in one socket.", "socket"),
		maxSpeed:   desc("processor_max_speed_hertz", "Maximum speed the processor in one socket supports, as the firmware states it.", "socket"),
		bootStatus: desc("dmi_boot_status_ok", "Whether the firmware's SMBIOS system boot status (type 32) reports no errors (1) or an error (0); status names it.", "status"),
	}, nil
}

// Collect decodes the tables once per boot; they cannot change before the
// next one.
func (c *dmiCollector) Collect(ctx context.Context) (*Snapshot, error) {
	return c.cache.get(c.read)
}

func (c *dmiCollector) read() (*Snapshot, error) {
	sec := &DMISection{Source: "tables"}
	t, err := c.fs.Table()
	if t != nil && len(t.Structures) == 0 {
		// An export with no structure at all (an empty DMI file behind
		// a valid entry point) is no inventory: treat it as unreadable.
		announced := 0
		if t.EntryPoint != nil {
			announced = int(t.EntryPoint.TableLength)
		}
		err = errors.Join(fmt.Errorf("dmi: the table holds no structure (%d bytes read, the entry point announces %d)", len(t.Raw), announced), err)
		t = nil
	}
	if t != nil {
		var sumErr error
		sec.Summary, sumErr = t.Summary()
		if err == nil {
			err = sumErr
		}
		if err != nil {
			// A fault part-way: what decoded before it is kept.
			sec.Errors = map[string]string{"tables": err.Error()}
		}
	} else {
		fallback, idErr := c.fs.IDSummary()
		switch {
		case idErr != nil && errors.Is(err, iofs.ErrNotExist) && errors.Is(idErr, iofs.ErrNotExist):
			// No SMBIOS at all (some VMs, most ARM boards): nothing to
			// report, and nothing failed.
			sec.Source = "none"
			return &Snapshot{Section: sec, Metrics: []prometheus.Metric{
				gauge(c.tables, 0),
			}}, nil
		case idErr != nil:
			return nil, fmt.Errorf("dmi: tables: %v; /sys/class/dmi/id: %w", err, idErr)
		}
		c.logger.Warn("SMBIOS tables unreadable, using /sys/class/dmi/id (no serials, DIMMs or processors)", "err", err)
		sec.Source = "sysfs-dmi-id"
		sec.Summary = fallback
		sec.Errors = map[string]string{"tables": err.Error()}
	}
	if sec.Summary == nil {
		sec.Summary = &dmi.Summary{}
	}
	if !c.serials {
		withholdSerials(sec.Summary)
		sec.SerialsWithheld = true
	}
	return &Snapshot{Section: sec, Metrics: c.metrics(sec), Faults: sec.Errors}, nil
}

// withholdSerials blanks every serial number, UUID and asset tag.
func withholdSerials(s *dmi.Summary) {
	s.System.SerialNumber, s.System.UUID = "", ""
	s.Baseboard.SerialNumber, s.Baseboard.AssetTag = "", ""
	s.Chassis.SerialNumber, s.Chassis.AssetTag = "", ""
	for i := range s.Memory.Devices {
		s.Memory.Devices[i].SerialNumber = ""
	}
}

func (c *dmiCollector) metrics(sec *DMISection) []prometheus.Metric {
	s := sec.Summary
	ms := []prometheus.Metric{
		gauge(c.info, 1, s.BIOS.Vendor, s.BIOS.Version, s.BIOS.ReleaseDate, s.System.Manufacturer, s.System.ProductName,
			s.System.Version, s.System.Family, s.Baseboard.Manufacturer, s.Baseboard.ProductName, s.Chassis.Type),
		gauge(c.tables, boolFloat(sec.Source == "tables")),
	}
	if sec.Source != "tables" {
		return ms
	}
	ms = append(ms,
		gauge(c.memTotal, float64(s.Memory.TotalBytes)),
		gauge(c.memMax, float64(s.Memory.MaxCapacityBytes)),
		gauge(c.memSlots, float64(s.Memory.Slots)),
	)
	seen := map[string]int{}
	for _, d := range s.Memory.Devices {
		// Firmware repeats locators now and then; keep series unique.
		loc := uniqueLabel(seen, d.Locator+"\x00"+d.BankLocator, d.Locator)
		ms = append(ms, gauge(c.dimm, float64(d.SizeBytes), loc, d.BankLocator, d.Type, d.FormFactor, d.Manufacturer, d.PartNumber))
	}
	seenSock := map[string]int{}
	for _, p := range s.Processors {
		sock := uniqueLabel(seenSock, p.Socket, p.Socket)
		ms = append(ms,
			gauge(c.cpuInfo, 1, sock, p.Manufacturer, p.Family, p.Version),
			gauge(c.cores, float64(p.Cores), sock),
			gauge(c.threads, float64(p.Threads), sock),
		)
		if p.MaxSpeedMHz != 0 {
			ms = append(ms, gauge(c.maxSpeed, float64(p.MaxSpeedMHz)*1e6, sock))
		}
	}
	if s.BootStatus != "" {
		ms = append(ms, gauge(c.bootStatus, boolFloat(s.BootStatus == dmi.BootStatusName(0)), s.BootStatus))
	}
	return ms
}

// uniqueLabel returns label, suffixed with "#N" when key was seen before.
func uniqueLabel(seen map[string]int, key, label string) string {
	seen[key]++
	if n := seen[key]; n > 1 {
		return label + "#" + strconv.Itoa(n)
	}
	return label
}
