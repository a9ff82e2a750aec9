package efi

import "errors"

// ErrMalformed is wrapped by every error about data that does not follow the
// format it claims: a variable shorter than its attribute word, a boolean
// variable that is not one byte of 0 or 1, a load option or device path node
// whose lengths run past its buffer.
var ErrMalformed = errors.New("malformed data")

// ErrEfivarfsNotMounted is recorded in BootState.Errors["efivars"] when
// firmware/efi/efivars exists but is empty: the machine booted through UEFI
// but efivarfs is not mounted there, so no variable can be read.
var ErrEfivarfsNotMounted = errors.New("efivarfs not mounted")
