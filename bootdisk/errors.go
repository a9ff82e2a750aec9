package bootdisk

import "errors"

// ErrMalformed is wrapped by errors about data that does not follow the
// format it claims: a GPT header whose sizes or LBAs are out of range, an
// entry size that is not a multiple of 128, a loop in a chain of extended
// boot records.
var ErrMalformed = errors.New("malformed partition table")

// ErrChecksum is wrapped when a GPT header's or partition entry array's
// CRC32 does not match the one the header records. The entries are still
// decoded: a firmware would fall back to the backup table, which this
// package does not read.
var ErrChecksum = errors.New("crc32 mismatch")

// ErrNotPartition is wrapped by Discover's reasons when a mount is not on a
// disk partition or a whole disk: overlay, tmpfs, NFS, device-mapper, RAID.
var ErrNotPartition = errors.New("not a partition")
