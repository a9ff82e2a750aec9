// Package history keeps a small on-disk record of the host's last boots and
// answers two questions about the previous one: what changed since (kernel,
// command line, firmware, memory, processors, the machine itself) and whether
// it ended cleanly or crashed.
//
// The store is one JSON file (FileName) in a state directory, written
// atomically (temporary file in the same directory, fsync, rename, fsync of
// the directory) so that a power cut leaves either the old or the new file.
// The file carries a schema name and version; a file that is not valid JSON,
// names another schema or version, or exceeds MaxFileSize is renamed to
// "FileName.corrupt-TIMESTAMP" and reported, never fatal. A read-only or full
// file system makes writes fail with ErrNotWritable while the in-memory
// history, and so the comparison with the previous boot, keeps working.
//
// Crash evidence comes from the kernel's persistent store, pstore
// (Documentation/ABI/testing/pstore, fs/pstore/ in the kernel), mounted at
// /sys/fs/pstore. Its files are named TYPE-BACKEND-ID (fs/pstore/inode.c),
// for example dmesg-ramoops-0, dmesg-efi-172345678901001 (efi_pstore since
// Linux 6.2: dmesg-efi_pstore-ID) or console-ramoops-0, with the suffix
// ".enc.z" when the kernel could not decompress them. A dmesg record starts
// with the header "REASON#COUNT PartN" written by pstore_dump
// (fs/pstore/platform.c), where REASON is kmsg_dump_reason_str's word: Panic,
// Oops, Emergency, Shutdown (older kernels also Restart, Halt, Poweroff). The
// file's modification time is the record's time when the backend kept one.
//
// The package is pure: it never logs, never touches the network and reads
// only the paths it is given.
package history
