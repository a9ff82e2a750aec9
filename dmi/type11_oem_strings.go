package dmi

// ParseOEMStrings returns the strings of a type 11 OEM Strings structure
// (DSP0134 7.12): byte 04h counts them. In the API form the count is bounded
// by the strings actually present; in the dmidecode form (see
// Structure.DmidecodeStrings) every counted string is returned, a missing
// one as BadIndex.
func ParseOEMStrings(s *Structure) []string { return countedStrings(s, 11) }

// countedStrings returns the strings of a structure of type typ that counts
// them in byte 04h (types 11 and 12).
func countedStrings(s *Structure, typ uint8) []string {
	if s.Type != typ || s.Length < 5 {
		return nil
	}
	n := int(s.U8(0x04))
	out := make([]string, 0, min(n, 16))
	for i := 1; i <= n; i++ {
		if s.dmidecodeStrings {
			out = append(out, s.String(uint8(i)))
			continue
		}
		r, ok := s.RawString(uint8(i))
		if !ok {
			break
		}
		out = append(out, cleanString(r))
	}
	return out
}
