package dmi

import (
	"fmt"
	"strconv"
)

// need checks that s has type typ and a formatted area of at least min bytes.
func need(s *Structure, typ uint8, min int) error {
	if s == nil {
		return fmt.Errorf("%w: type %d", ErrNotFound, typ)
	}
	if s.Type != typ {
		return fmt.Errorf("dmi: structure handle %#04x is type %d, not %d", s.Handle, s.Type, typ)
	}
	if int(s.Length) < min {
		return fmt.Errorf("%w: type %d handle %#04x is %d bytes, need %d", ErrShort, typ, s.Handle, s.Length, min)
	}
	return nil
}

func itoa(v uint8) string { return strconv.Itoa(int(v)) }

// parseAll applies parse to every structure of type typ, skipping those too
// short to decode, and returns the first error seen with the results.
func parseAll[T any](t *Table, typ uint8, parse func(*Structure) (*T, error)) ([]T, error) {
	var out []T
	var first error
	ss := t.ByType(typ)
	for _, s := range ss {
		v, err := parse(s)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if out == nil {
			out = make([]T, 0, len(ss))
		}
		out = append(out, *v)
	}
	return out, first
}

// parseFirst applies parse to the first structure of type typ.
func parseFirst[T any](t *Table, typ uint8, parse func(*Structure) (*T, error)) (*T, error) {
	ss := t.ByType(typ)
	if len(ss) == 0 {
		return nil, fmt.Errorf("%w: type %d", ErrNotFound, typ)
	}
	return parse(ss[0])
}

// BIOS decodes the table's first type 0 structure.
func (t *Table) BIOS() (*BIOS, error) { return parseFirst(t, 0, ParseBIOS) }

// System decodes the table's first type 1 structure.
func (t *Table) System() (*System, error) {
	return parseFirst(t, 1, func(s *Structure) (*System, error) { return ParseSystem(s, t.Version) })
}

// Baseboards decodes every type 2 structure.
func (t *Table) Baseboards() ([]Baseboard, error) { return parseAll(t, 2, ParseBaseboard) }

// Chassis decodes every type 3 structure.
func (t *Table) Chassis() ([]Chassis, error) { return parseAll(t, 3, ParseChassis) }

// Processors decodes every type 4 structure.
func (t *Table) Processors() ([]Processor, error) { return parseAll(t, 4, ParseProcessor) }

// Caches decodes every type 7 structure.
func (t *Table) Caches() ([]Cache, error) { return parseAll(t, 7, ParseCache) }

// Slots decodes every type 9 structure.
func (t *Table) Slots() ([]SystemSlot, error) { return parseAll(t, 9, ParseSystemSlot) }

// OEMStrings returns the strings of every type 11 structure, in order.
func (t *Table) OEMStrings() []string {
	var out []string
	for _, s := range t.ByType(11) {
		out = append(out, ParseOEMStrings(s)...)
	}
	return out
}

// MemoryArrays decodes every type 16 structure.
func (t *Table) MemoryArrays() ([]MemoryArray, error) { return parseAll(t, 16, ParseMemoryArray) }

// MemoryDevices decodes every type 17 structure.
func (t *Table) MemoryDevices() ([]MemoryDevice, error) { return parseAll(t, 17, ParseMemoryDevice) }

// MemoryArrayMappedAddresses decodes every type 19 structure.
func (t *Table) MemoryArrayMappedAddresses() ([]MemoryArrayMappedAddress, error) {
	return parseAll(t, 19, ParseMemoryArrayMappedAddress)
}

// BootInfo decodes the table's first type 32 structure.
func (t *Table) BootInfo() (*SystemBoot, error) { return parseFirst(t, 32, ParseSystemBoot) }

// IPMIDevices decodes every type 38 structure.
func (t *Table) IPMIDevices() ([]IPMIDevice, error) { return parseAll(t, 38, ParseIPMIDevice) }

// OnboardDevices decodes every type 41 structure.
func (t *Table) OnboardDevices() ([]OnboardDevice, error) { return parseAll(t, 41, ParseOnboardDevice) }
