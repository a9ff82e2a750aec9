package report

import "time"

// The document's sections, as much of each as the report reads. Field
// names follow the JSON; a section the agent did not collect is nil.
type document struct {
	Errors     map[string]string `json:"errors"`
	Host       *hostSection      `json:"host"`
	Firmware   *firmwareSection  `json:"firmware"`
	DMI        *dmiSection       `json:"dmi"`
	Bootloader *loaderSection    `json:"bootloader"`
	Kmsg       *kmsgSection      `json:"kmsg"`
	Systemd    *systemdSection   `json:"systemd"`
	History    *historySection   `json:"history"`
}

type hostSection struct {
	Hostname      string  `json:"hostname"`
	BootTime      string  `json:"boot_time"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	KernelRelease string  `json:"kernel_release"`
	Architecture  string  `json:"architecture"`
	OS            struct {
		PrettyName string `json:"pretty_name"`
	} `json:"os"`
	CmdlineParams map[string]string `json:"cmdline_params"`
	Init          *struct {
		Name    string `json:"name"`
		Path    string `json:"path"`
		Deleted bool   `json:"deleted"`
		Version string `json:"version"`
	} `json:"init"`
	Errors map[string]string `json:"errors"`
}

type firmwareSection struct {
	Mode         string  `json:"mode"`
	PlatformBits int     `json:"platform_bits"`
	SecureBoot   string  `json:"secure_boot"`
	SetupMode    *bool   `json:"setup_mode"`
	BootCurrent  *string `json:"boot_current"`
	BootNext     *string `json:"boot_next"`
	BootEntries  []struct {
		ID          string `json:"id"`
		Description string `json:"description"`
	} `json:"boot_entries"`
	LoaderEntrySelected string `json:"loader_entry_selected"`
	TPMs                []struct {
		Name         string `json:"name"`
		VersionMajor int    `json:"version_major"`
	} `json:"tpms"`
	Certificates []struct {
		Store    string    `json:"store"`
		NotAfter time.Time `json:"not_after"`
	} `json:"secure_boot_certificates"`
	Hashes []struct {
		Store string `json:"store"`
		Count int    `json:"count"`
	} `json:"secure_boot_hashes"`
	Errors map[string]string `json:"errors"`
}

type dmiSection struct {
	Source string `json:"source"`
	BIOS   struct {
		Vendor         string `json:"vendor"`
		Version        string `json:"version"`
		ReleaseDate    string `json:"release_date"`
		VirtualMachine bool   `json:"virtual_machine"`
	} `json:"bios"`
	System struct {
		Manufacturer string `json:"manufacturer"`
		ProductName  string `json:"product_name"`
		Version      string `json:"version"`
	} `json:"system"`
	Baseboard struct {
		Manufacturer string `json:"manufacturer"`
		ProductName  string `json:"product_name"`
	} `json:"baseboard"`
	Processors []struct {
		Version string `json:"version"`
		Cores   int    `json:"cores"`
		Threads int    `json:"threads"`
		Status  string `json:"status"`
	} `json:"processors"`
	Memory struct {
		TotalBytes uint64 `json:"total_bytes"`
		Slots      int    `json:"slots"`
		Devices    []struct {
			SizeBytes uint64 `json:"size_bytes"`
			Type      string `json:"type"`
			SpeedMTs  uint32 `json:"speed_mts"`
		} `json:"devices"`
	} `json:"memory"`
	BootStatus string            `json:"boot_status"`
	Errors     map[string]string `json:"errors"`
}

type loaderSection struct {
	NextBoot *struct {
		OK       *bool `json:"ok"`
		Problems []struct {
			Reason string `json:"reason"`
			Detail string `json:"detail"`
		} `json:"problems"`
		Entry *struct {
			Title string `json:"title"`
		} `json:"entry"`
		Source string `json:"source"`
	} `json:"next_boot"`
	Loader           string   `json:"loader"`
	DefaultEntry     string   `json:"default_entry"`
	InstalledKernels []string `json:"installed_kernels"`
	NewestKernel     string   `json:"newest_kernel"`
	Cmdline          struct {
		BootMode  string `json:"boot_mode"`
		BootImage string `json:"boot_image"`
	} `json:"cmdline"`
	RebootRequired    bool     `json:"reboot_required"`
	RebootReasons     []string `json:"reboot_reasons"`
	RebootPackages    []string `json:"reboot_required_packages"`
	ScheduledShutdown *struct {
		Kind string    `json:"kind"`
		At   time.Time `json:"at"`
	} `json:"scheduled_shutdown"`
	BootDisk *struct {
		Disk      string `json:"disk"`
		Table     string `json:"table"`
		BootMount string `json:"boot_mount"`
		ESPMount  string `json:"esp_mount"`
	} `json:"boot_disk"`
	Warnings []string          `json:"warnings"`
	Errors   map[string]string `json:"errors"`
}

type kmsgEvent struct {
	Seconds float64 `json:"seconds"`
	Message string  `json:"message"`
}

type kmsgSection struct {
	RecordsLost uint64            `json:"records_lost"`
	Levels      map[string]uint64 `json:"levels"`
	Milestones  struct {
		InitHandoff *kmsgEvent `json:"init_handoff"`
		InitPath    string     `json:"init_path"`
		Taint       struct {
			Tainted bool     `json:"tainted"`
			Flags   string   `json:"flags"`
			Reasons []string `json:"reasons"`
		} `json:"taint"`
	} `json:"milestones"`
	Problems map[string]struct {
		Count uint64     `json:"count"`
		Last  *kmsgEvent `json:"last"`
	} `json:"problems"`
	ReaderError string `json:"reader_error"`
}

type failure struct {
	Unit   string `json:"unit"`
	Result string `json:"result"`
	Code   string `json:"code"`
	Status int32  `json:"status"`
	Signal string `json:"signal"`
}

type systemdSection struct {
	Scope   string `json:"scope"`
	Manager struct {
		Version       string          `json:"version"`
		SystemState   string          `json:"system_state"`
		DefaultTarget string          `json:"default_target"`
		ActiveTargets map[string]bool `json:"active_targets"`
	} `json:"manager"`
	Timeline struct {
		Finished             bool   `json:"finished"`
		FirmwareUSec         uint64 `json:"firmware_usec"`
		LoaderUSec           uint64 `json:"loader_usec"`
		KernelUSec           uint64 `json:"kernel_usec"`
		InitRDUSec           uint64 `json:"initrd_usec"`
		UserspaceUSec        uint64 `json:"userspace_usec"`
		TotalUSec            uint64 `json:"total_usec"`
		DefaultTarget        string `json:"default_target"`
		DefaultTargetReached bool   `json:"default_target_reached"`
		DefaultTargetUSec    uint64 `json:"default_target_usec"`
	} `json:"timeline"`
	Blame []struct {
		Unit     string `json:"unit"`
		TimeUSec uint64 `json:"time_usec"`
	} `json:"blame"`
	Units []struct {
		Name        string   `json:"name"`
		ActiveState string   `json:"active_state"`
		LastFailure *failure `json:"last_failure"`
	} `json:"units"`
	RecentFailures []failure `json:"recent_failures"`
	FailedUnits    []string  `json:"failed_units"`
	Source         string    `json:"source"`
	FilesReason    string    `json:"files_reason"`
	DefaultTarget  string    `json:"default_target"`
	Problems       []string  `json:"problems"`
}

type historySection struct {
	Boots   []struct{} `json:"boots"`
	Changes []struct {
		Component string `json:"component"`
		Before    string `json:"before"`
		After     string `json:"after"`
		Detail    string `json:"detail"`
	} `json:"changes"`
	PreviousBootEnd struct {
		State  string `json:"state"`
		Detail string `json:"detail"`
		Reason string `json:"reason"`
	} `json:"previous_boot_end"`
	Persisted  bool     `json:"persisted"`
	StateError string   `json:"state_error"`
	Problems   []string `json:"problems"`
}
