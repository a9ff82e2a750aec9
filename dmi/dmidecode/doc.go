// Package dmidecode prints SMBIOS tables decoded by package dmi exactly as
// Debian's dmidecode 3.4 prints them: the same header lines, the same
// "Handle 0x..., DMI type N, L bytes" lines, the same field names, value
// formats and lists, the same "Header and Data:" hex form for types it does
// not decode. It also implements dmidecode's -t (type selection), -s (single
// string) and -u (dump) options.
//
// The output rules were learnt from dmidecode's documented behaviour and by
// comparing with its output over a corpus of real tables; the field layouts
// are those of DMTF DSP0134.
package dmidecode
