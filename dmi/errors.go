package dmi

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrEntryPoint means no valid SMBIOS entry point was found.
	ErrEntryPoint = errors.New("dmi: invalid entry point")
	// ErrBrokenTable means a structure header declared a length below 4, so
	// the next structure cannot be located (dmidecode: "DMI table is broken!
	// Stop."). Structures before it are kept.
	ErrBrokenTable = errors.New("dmi: broken table")
	// ErrTruncated means a structure runs past the end of the table.
	// Structures before it are kept.
	ErrTruncated = errors.New("dmi: truncated structure")
	// ErrShort means a structure is too short for the field asked for.
	ErrShort = errors.New("dmi: structure too short")
	// ErrNotFound means the table has no structure of the type asked for.
	ErrNotFound = errors.New("dmi: no such structure")
)
