package host

import "strings"

// Param is one kernel command-line parameter. Value is empty for a bare flag
// such as "quiet"; HasValue tells "foo=" from "foo".
type Param struct {
	Key      string
	Value    string
	HasValue bool
}

// Cmdline is a parsed kernel command line.
type Cmdline struct {
	// Params are the parameters before "--", in order, repeats kept.
	Params []Param
	// InitArgs are the words after "--", which the kernel passes to init
	// as its arguments (after those it did not recognise; see ParseCmdline).
	InitArgs []string
}

// Map returns the parameters as a map. Where a key repeats (console=tty0
// console=ttyS0) the last one wins, as it does for most kernel parameters.
func (c Cmdline) Map() map[string]string {
	m := make(map[string]string, len(c.Params))
	for _, p := range c.Params {
		m[p.Key] = p.Value
	}
	return m
}

// Get returns the value of the last parameter named key and whether it exists.
func (c Cmdline) Get(key string) (string, bool) {
	for i := len(c.Params) - 1; i >= 0; i-- {
		if c.Params[i].Key == key {
			return c.Params[i].Value, true
		}
	}
	return "", false
}

// ParseCmdline splits a kernel command line exactly as the kernel does before
// it hands what it does not use to init (lib/cmdline.c next_arg, called by
// kernel/params.c parse_args; init/main.c start_kernel):
//
//   - Words are separated by runs of the kernel's white space: bytes 9 to 13,
//     the space, and 0xA0 (the kernel's ctype is Latin-1, so the second byte
//     of a UTF-8 "à" separates words too). A double quote turns the
//     separating of words off until the next double quote; there is no
//     escape. An unterminated quote runs to the end of the line.
//   - A word's key and value are split at its first "=" that is not the
//     word's first byte ("=a=b" has key "=a" and value "b"; "=a" is a key
//     without value).
//   - Quotes are removed in three places only: one that opens the word, one
//     that opens the value, and the word's last byte when it is a quote and
//     one of those was there (removed once, whichever opened). Every other
//     quote stays: a="b c"d has the value `b c"d`, a=b"c d" the value
//     `b"c d"`, "a b"=c the key `a b"`.
//   - The first word that is "--" without a value, quoted or not, ends the
//     parameters; the words after it are init's arguments (a word with a
//     value becomes "key=value", as init receives it). A second "--" ends
//     those too: the kernel hands init nothing after it.
//   - A NUL byte ends the line, as it ends the kernel's C string.
//
// It never fails.
func ParseCmdline(s string) Cmdline {
	var c Cmdline
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	afterDashes := false
	for rest := skipSpaces(s); rest != ""; {
		var a arg
		a, rest = nextArg(rest)
		if !a.hasValue && a.key == "--" {
			if afterDashes {
				break
			}
			afterDashes = true
			continue
		}
		if afterDashes {
			w := a.key
			if a.hasValue {
				w += "=" + a.value
			}
			c.InitArgs = append(c.InitArgs, w)
			continue
		}
		c.Params = append(c.Params, Param{Key: a.key, Value: a.value, HasValue: a.hasValue})
	}
	return c
}

type arg struct {
	key, value string
	hasValue   bool
}

// nextArg takes the first word of s, which starts with a non-space byte, and
// returns it split into key and value, and what follows it with the white
// space after it skipped.
func nextArg(s string) (arg, string) {
	quoted := s[0] == '"'
	if quoted {
		s = s[1:]
	}
	inQuote := quoted
	eq := -1
	i := 0
	for ; i < len(s); i++ {
		ch := s[i]
		if isSpace(ch) && !inQuote {
			break
		}
		if eq < 0 && i > 0 && ch == '=' {
			eq = i
		}
		if ch == '"' {
			inQuote = !inQuote
		}
	}
	word, rest := s[:i], ""
	if i < len(s) {
		rest = skipSpaces(s[i+1:])
	}
	if eq < 0 {
		if quoted {
			word = strings.TrimSuffix(word, `"`)
		}
		return arg{key: word}, rest
	}
	a := arg{key: word[:eq], value: word[eq+1:], hasValue: true}
	// The word's last byte is removed when it is a quote and either the
	// value or the word opened with one; it is never removed twice.
	if v, ok := strings.CutPrefix(a.value, `"`); ok {
		a.value = strings.TrimSuffix(v, `"`)
	} else if quoted {
		a.value = strings.TrimSuffix(a.value, `"`)
	}
	return a, rest
}

func skipSpaces(s string) string {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return s[i:]
		}
	}
	return ""
}

// isSpace is the kernel's isspace (lib/ctype.c): HT, LF, VT, FF, CR, space
// and Latin-1's no-break space, 0xA0.
func isSpace(ch byte) bool {
	return ch == ' ' || (ch >= '\t' && ch <= '\r') || ch == 0xA0
}

// CmdlineFacts are what the kernel command line says about how this boot
// was asked to go.
type CmdlineFacts struct {
	// BootMode is the mode requested: "normal", "single" (single, S, 1),
	// "rescue", "emergency", or "unit:NAME" for systemd.unit=.
	BootMode  string `json:"boot_mode"`
	Init      string `json:"init,omitempty"`
	Root      string `json:"root,omitempty"`
	ReadOnly  *bool  `json:"read_only,omitempty"`
	Debug     bool   `json:"debug"`
	BootImage string `json:"boot_image,omitempty"`
}

// Facts derives CmdlineFacts from the parameters; the words after "--"
// are init's and say nothing.
func (c Cmdline) Facts() CmdlineFacts {
	f := CmdlineFacts{BootMode: "normal"}
	for _, p := range c.Params {
		switch {
		case !p.HasValue && (p.Key == "single" || p.Key == "S" || p.Key == "1"):
			f.BootMode = "single"
		case !p.HasValue && (p.Key == "rescue" || p.Key == "emergency" || p.Key == "-b"):
			f.BootMode = p.Key
			if p.Key == "-b" {
				f.BootMode = "emergency"
			}
		case p.Key == "systemd.unit":
			switch p.Value {
			case "rescue.target":
				f.BootMode = "rescue"
			case "emergency.target":
				f.BootMode = "emergency"
			default:
				f.BootMode = "unit:" + p.Value
			}
		case p.Key == "init":
			f.Init = p.Value
		case p.Key == "root":
			f.Root = p.Value
		case p.Key == "ro" && !p.HasValue:
			t := true
			f.ReadOnly = &t
		case p.Key == "rw" && !p.HasValue:
			v := false
			f.ReadOnly = &v
		case p.Key == "debug":
			f.Debug = true
		case p.Key == "BOOT_IMAGE":
			f.BootImage = p.Value
		}
	}
	return f
}
