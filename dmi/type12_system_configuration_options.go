package dmi

// ParseSystemConfigurationOptions returns the options of a type 12 System
// Configuration Options structure (DSP0134 7.13): byte 04h counts them, and
// they are read as ParseOEMStrings reads type 11's strings.
func ParseSystemConfigurationOptions(s *Structure) []string { return countedStrings(s, 12) }
