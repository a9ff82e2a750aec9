// Package host reads the facts that identify a Linux host and its current boot
// from procfs and the root filesystem: hostname, boot id, boot time, kernel
// release and version, architecture, machine id (machine-id(5)), the operating
// system (os-release(5)) and the kernel command line
// (Documentation/admin-guide/kernel-parameters.rst).
//
// Every path is relative to injected roots, so tests and containers that mount
// the host under another directory work. Parsing is separate from reading:
// ParseCmdline and ParseOSRelease take bytes.
package host
