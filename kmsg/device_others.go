//go:build !linux

package kmsg

import "context"

// Device reads records from /dev/kmsg; on this platform it cannot be
// opened.
type Device struct{}

// Open returns ErrUnsupported: only Linux has /dev/kmsg.
func (fs FS) Open(opts OpenOptions) (*Device, error) { return nil, ErrUnsupported }

// Next returns ErrUnsupported.
func (d *Device) Next(ctx context.Context) (Record, error) { return Record{}, ErrUnsupported }

// Lost returns 0.
func (d *Device) Lost() uint64 { return 0 }

// Overruns returns 0.
func (d *Device) Overruns() uint64 { return 0 }

// TooLarge returns 0.
func (d *Device) TooLarge() uint64 { return 0 }

// Close does nothing.
func (d *Device) Close() error { return nil }
