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
// "FileName.corrupt-TIMESTAMP" and reported, never fatal. OpenReadOnly, for
// one-shot commands beside a running agent, reads the same way but creates,
// removes, renames and writes nothing, whatever it finds. A read-only or full
// file system makes writes fail with ErrNotWritable while the in-memory
// history, and so the comparison with the previous boot, keeps working.
//
// Crash evidence comes from the kernel's persistent store, pstore
// (Documentation/ABI/testing/pstore, fs/pstore/ in the kernel), mounted at
// /sys/fs/pstore. Its files are named TYPE-BACKEND-ID (fs/pstore/inode.c),
// for example dmesg-ramoops-0, dmesg-efi-179560996101001 (the backend is
// named efi_pstore in later kernels) or console-ramoops-0, with the suffix
// ".enc.z" when the kernel could not decompress them. A dmesg record starts
// with the header "REASON#COUNT PartN" written by pstore_dump
// (fs/pstore/platform.c), where REASON is kmsg_dump_reason_str's word: Panic,
// Oops, Emergency, Shutdown (older kernels also Restart, Halt, Poweroff).
// Part1 holds the newest messages; a small backend splits one dump into many
// parts (EFI variables hold about 1 KiB), which JudgeEnd joins again. The
// file's modification time is the record's time when the backend kept one;
// an EFI record ID also encodes it: (seconds*100 + part)*1000 + count.
// testdata/qemu holds records that a Debian 6.1 kernel wrote under QEMU.
//
// On hosts running systemd-pstore.service, pstore is emptied early in every
// boot and its files are copied to /var/lib/systemd/pstore;
// ReadPstoreArchive and PreviousBootEndArchived read them there.
//
// Every host file is read through internal/hostfile: bounded
// (hostfile.LimitState for the history file, hostfile.LimitFirmware for a
// pstore record), without blocking on a FIFO or device, and resolved inside
// its root.
//
// The package is pure: it never logs, never touches the network and reads
// only the paths it is given.
package history
