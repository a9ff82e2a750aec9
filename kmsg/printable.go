package kmsg

import (
	"unicode"
	"unicode/utf8"
)

// AppendPrintable appends s to dst as util-linux dmesg prints a message on
// a terminal in a UTF-8 locale (its safe_fwrite): a byte or character that
// is neither printable nor white space is written as \xNN, one escape per
// byte. So are bytes that are not UTF-8. The rest, white space (tab,
// newline, \v, \f and carriage return) included, is written as it is.
//
// Record.Message holds the kernel's \xNN escapes decoded, so an escape
// sequence a driver or a writer to /dev/kmsg put in a message would reach
// the operator's terminal (retitle it, move the cursor, hide lines) if
// printed raw: text output goes through this.
//
// "Printable" is glibc's: every assigned character but the control
// characters (C0, DEL, C1); format characters such as U+202E and private
// use ones are printable, unassigned code points and noncharacters are not.
func AppendPrintable(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c < 0x7f || c >= '\t' && c <= '\r' {
				dst = append(dst, c)
			} else {
				dst = appendHex(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = appendHex(dst, c)
			i++
			continue
		}
		if printableRune(r) {
			dst = append(dst, s[i:i+size]...)
		} else {
			for j := i; j < i+size; j++ {
				dst = appendHex(dst, s[j])
			}
		}
		i += size
	}
	return dst
}

// Printable returns s escaped as AppendPrintable does; s itself when it
// needs no escape.
func Printable(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && (c < '\t' || c > '\r') || c >= 0x7f {
			return string(AppendPrintable(make([]byte, 0, len(s)+16), s))
		}
	}
	return s
}

// printableRune is glibc's iswprint || iswspace for a character outside
// ASCII: assigned, and not a control character.
func printableRune(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cf, unicode.Co)
}

func appendHex(dst []byte, c byte) []byte {
	const hexdig = "0123456789abcdef"
	return append(dst, '\\', 'x', hexdig[c>>4], hexdig[c&15])
}
