package dmi

// ParseOEMStrings returns the strings of a type 11 OEM Strings structure
// (DSP0134 7.12): byte 04h counts them; the count is bounded by the strings
// actually present.
func ParseOEMStrings(s *Structure) []string {
	n, ok := s.u8(0x04)
	if !ok || s.Type != 11 {
		return nil
	}
	out := make([]string, 0, min(int(n), 16))
	for i := 1; i <= int(n); i++ {
		r, ok := s.RawString(uint8(i))
		if !ok {
			break
		}
		out = append(out, cleanString(r))
	}
	return out
}
