// Package dmidecode prints SMBIOS tables decoded by package dmi exactly as
// Debian's dmidecode 3.4 prints them: the same header lines, the same
// "Handle 0x..., DMI type N, L bytes" lines, the same field names, value
// formats and lists, the same "Header and Data:" hex form for types it does
// not decode. It also implements dmidecode's -t (type selection), -s (single
// string) and -u (dump) options.
//
// The field layouts are those of DMTF DSP0134. The structures come from
// dmi's typed views where package dmi has one (types 0 to 4, 7, 9, 11, 12,
// 16, 17, 19, 32, 38, 41), in their dmidecode string form; the other types
// are read from the formatted area through dmi.Structure's accessors, most
// of them through a field table (name, offset, formatter) per type.
package dmidecode
