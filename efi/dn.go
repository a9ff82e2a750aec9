package efi

import (
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Distinguished names are printed as `openssl x509 -nameopt
// RFC2253,-esc_msb` prints them, which is RFC 4514's string form with
// OpenSSL's attribute names, and what mokutil and sig-list-to-certs users
// compare against:
//
//   - the attributes in reverse order of the certificate's (the last RDN
//     first, and in a multi-valued RDN the last attribute first), RDNs
//     joined by ",", the attributes of one RDN by "+";
//   - attribute types by OpenSSL's short names (CN, O, emailAddress, DC,
//     serialNumber, ...), an unknown type as its dotted OID with its value
//     as "#" and the hex of its DER;
//   - values escaped as RFC 4514 says (`,+"\<>;` anywhere, "#" or a space
//     first, a space last) and control characters as \XX, while other
//     characters are kept as UTF-8 (that is -esc_msb: plain RFC2253 would
//     print each byte of a non-ASCII character as \XX).
//
// Go's pkix.Name.String() differs: it rebuilds the RDNs in a fixed order
// (C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER) whatever the
// certificate's order, splits multi-valued RDNs, names only those nine
// types (emailAddress, DC, UID, title come out as OIDs) and spells
// SERIALNUMBER, STREET and POSTALCODE in capitals. For the common
// C,ST,L,O,OU,CN order the two agree.

// attributeNames are OpenSSL's short names of the attribute types.
var attributeNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "GN",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.97":                   "organizationIdentifier",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
}

type attributeTypeAndValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is one RelativeDistinguishedName (encoding/asn1 takes a type
// whose name ends in SET as a SET OF).
type rdnSET []attributeTypeAndValue

// formatName prints a DER Name as the comment above says.
func formatName(der []byte) (string, error) {
	var rdns []rdnSET
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil {
		return "", err
	}
	if len(rest) > 0 {
		return "", fmt.Errorf("%d bytes after the name", len(rest))
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		for j := len(rdns[i]) - 1; j >= 0; j-- {
			atv := rdns[i][j]
			switch {
			case j < len(rdns[i])-1:
				b.WriteByte('+')
			case i < len(rdns)-1:
				b.WriteByte(',')
			}
			oid := atv.Type.String()
			name, known := attributeNames[oid]
			text, isString := attributeText(atv.Value)
			if !known {
				name = oid
			}
			b.WriteString(name)
			b.WriteByte('=')
			if !known || !isString {
				b.WriteByte('#')
				b.WriteString(strings.ToUpper(hex.EncodeToString(atv.Value.FullBytes)))
				continue
			}
			escapeValue(&b, text)
		}
	}
	return b.String(), nil
}

// attributeText decodes a value of one of the string types as UTF-8
// (T61String as Latin-1, as OpenSSL does); other types are not text.
func attributeText(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagNumericString, 26 /* VisibleString */ :
		return strings.ToValidUTF8(string(v.Bytes), "\uFFFD"), true
	case asn1.TagT61String:
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString: UCS-4, big-endian
		if len(v.Bytes)%4 != 0 {
			return "", false
		}
		var b strings.Builder
		for i := 0; i < len(v.Bytes); i += 4 {
			c := rune(uint32(v.Bytes[i])<<24 | uint32(v.Bytes[i+1])<<16 | uint32(v.Bytes[i+2])<<8 | uint32(v.Bytes[i+3]))
			if !utf8.ValidRune(c) {
				c = utf8.RuneError
			}
			b.WriteRune(c)
		}
		return b.String(), true
	}
	return "", false
}

// escapeValue writes s escaped as RFC 4514 and OpenSSL's ESC_CTRL say.
func escapeValue(b *strings.Builder, s string) {
	for i, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, "\\%02X", r)
		case strings.ContainsRune(`,+"\<>;`, r),
			i == 0 && (r == '#' || r == ' '),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
}
