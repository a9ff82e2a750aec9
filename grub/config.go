package grub

// Loader names used in Config.Loader.
const (
	LoaderGRUB        = "grub"
	LoaderSystemdBoot = "systemd-boot"
	LoaderUnknown     = "unknown"
)

// GRUB flavours used in Config.Flavor.
const (
	FlavorUpstream = "upstream"
	FlavorFedora   = "fedora"
)

// Entry kinds used in Entry.Kind.
const (
	KindLinux     = "linux"     // linux, linuxefi, linux16 (and BLS "linux")
	KindMultiboot = "multiboot" // multiboot, multiboot2 with modules (Xen, tboot)
	KindChainload = "chainload" // chainloader (another boot loader, Windows)
	KindEFI       = "efi"       // BLS "efi" key: an EFI program
	KindOther     = "other"     // an entry that loads no kernel (fwsetup, reboot)
)

// Config is a parsed boot loader configuration.
type Config struct {
	// Loader is LoaderGRUB, LoaderSystemdBoot or LoaderUnknown.
	Loader string `json:"loader"`
	// ConfigPath is the file the configuration was read from, relative to
	// the FS root ("" when parsed from bytes).
	ConfigPath string `json:"config_path,omitempty"`
	// Entries are the boot entries in menu order, entries of submenus
	// included (with their Submenu path). For GRUB with blscfg, the BLS
	// entries appear where blscfg ran.
	Entries []Entry `json:"entries"`
	// Submenus are GRUB's submenus, needed to resolve "1>2" style defaults.
	Submenus []Submenu `json:"submenus,omitempty"`
	// DefaultEntry is the value of GRUB's "default" variable after the
	// top-level script ran (already reflecting next_entry and saved_entry
	// when the configuration uses the standard grub-mkconfig patterns), or
	// systemd-boot's loader.conf "default" pattern.
	DefaultEntry string `json:"default_entry"`
	// DefaultFrom names where DefaultEntry came from: "next_entry",
	// "saved_entry" (grubenv values), "config" (a literal in the
	// configuration), "unset" or "unresolved".
	DefaultFrom string `json:"default_from"`
	// NextEntry is grubenv's one-shot next_entry (grub-reboot), if set.
	NextEntry string `json:"next_entry,omitempty"`
	// SavedEntry is grubenv's saved_entry (grub-set-default), if set.
	SavedEntry string `json:"saved_entry,omitempty"`
	// Timeout is the menu timeout in seconds when it is known; -1 means
	// wait forever.
	Timeout *int `json:"timeout,omitempty"`
	// BLS is set when the configuration runs blscfg, so that the Boot
	// Loader Specification entries are part of the menu.
	BLS bool `json:"bls,omitempty"`
	// Flavor is the GRUB build whose menu rules Resolve applies:
	// FlavorUpstream reads a default that starts with digits as an index
	// ("9af7...-5.18.0" is index 9), as upstream and Debian GRUB 2.06 do;
	// FlavorFedora, whose GRUB carries the blscfg patches, compares such a
	// default with ids and titles instead.
	// ParseConfig sets FlavorFedora when the configuration runs blscfg; a
	// caller that knows better (from os-release) may change it.
	Flavor string `json:"flavor,omitempty"`
	// ConfigFile is the target of a top-level configfile command (an EFI
	// system partition's grub.cfg usually only loads the real one).
	ConfigFile string `json:"configfile,omitempty"`
	// Warnings lists what could not be parsed or decided statically.
	Warnings []string `json:"warnings,omitempty"`
}

// Entry is one bootable menu entry.
type Entry struct {
	// Title is the menu title (menuentry's title, BLS "title").
	Title string `json:"title"`
	// ID is the entry's --id (GRUB), or the BLS file name without ".conf".
	ID string `json:"id,omitempty"`
	// Index is GRUB's menu path to the entry: "3", or "1>0" inside the
	// submenu at index 1.
	Index string `json:"index"`
	// Submenu is the titles of the enclosing submenus, outermost first.
	Submenu []string `json:"submenu,omitempty"`
	// Kind is KindLinux, KindMultiboot, KindChainload, KindEFI or KindOther.
	Kind string `json:"kind"`
	// Kernel is the kernel path as written (for multiboot: the multiboot
	// image, e.g. xen.gz or tboot.gz; for chainload: the loaded file).
	Kernel string `json:"kernel,omitempty"`
	// Initrd is the initial ramdisk paths, in order.
	Initrd []string `json:"initrd,omitempty"`
	// Args is the kernel command line with variables expanded where known.
	Args string `json:"args,omitempty"`
	// Modules are the multiboot modules (module, module2), in order.
	Modules []Module `json:"modules,omitempty"`
	// Source is "grub.cfg" for script entries, or "bls:FILE" for entries
	// from a Boot Loader Specification file.
	Source string `json:"source"`
	// Conditional is set when the entry is defined inside a condition the
	// evaluator could not decide, so it may be absent from the real menu.
	Conditional bool `json:"conditional,omitempty"`

	path []int
	// line is where the entry's menuentry starts in the script.
	line int
	// sortKey, machineID and version are BLS keys systemd-boot sorts by.
	sortKey, machineID, version string
}

// Module is one multiboot module.
type Module struct {
	Path string `json:"path"`
	Args string `json:"args,omitempty"`
}

// LinuxArgs returns the command line of the Linux kernel an entry boots
// (LinuxKernel's): the entry's for linux entries, the first module's for
// multiboot entries (the entry's own is the hypervisor's).
func (e *Entry) LinuxArgs() string {
	if e.Kind == KindMultiboot {
		if len(e.Modules) > 0 {
			return e.Modules[0].Args
		}
		return ""
	}
	return e.Args
}

// Submenu is a GRUB submenu.
type Submenu struct {
	Title string `json:"title"`
	ID    string `json:"id,omitempty"`
	Index string `json:"index"`
	path  []int
}

// LinuxKernel returns the Linux kernel an entry boots: Kernel for linux
// entries, the first module for multiboot entries (Xen's dom0 kernel, or the
// kernel tboot launches), "" otherwise.
func (e *Entry) LinuxKernel() string {
	switch e.Kind {
	case KindLinux:
		return e.Kernel
	case KindMultiboot:
		if len(e.Modules) > 0 {
			return e.Modules[0].Path
		}
	}
	return ""
}

// maxWarnings bounds Config.Warnings.
const maxWarnings = 200

func (c *Config) warn(msg string) {
	if len(c.Warnings) < maxWarnings {
		c.Warnings = append(c.Warnings, msg)
	}
}
