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
	// InitArgs are the words after "--", which the kernel passes to init.
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

// ParseCmdline splits a kernel command line the way the kernel's next_arg does:
// words are separated by white space, double quotes group white space into a
// word and are removed, and a word's first "=" separates key from value. The
// word "--" ends the parameters; what follows is for init. It never fails:
// an unterminated quote runs to the end of the line, as in the kernel.
func ParseCmdline(s string) Cmdline {
	var c Cmdline
	afterDashes := false
	for _, w := range splitWords(s) {
		if afterDashes {
			c.InitArgs = append(c.InitArgs, w.text)
			continue
		}
		if w.text == "--" && !w.quoted {
			afterDashes = true
			continue
		}
		key, value, ok := strings.Cut(w.text, "=")
		c.Params = append(c.Params, Param{Key: key, Value: value, HasValue: ok})
	}
	return c
}

type word struct {
	text   string
	quoted bool
}

func splitWords(s string) []word {
	var (
		words  []word
		cur    strings.Builder
		inWord bool
		inQ    bool
		quoted bool
	)
	flush := func() {
		if inWord {
			words = append(words, word{text: cur.String(), quoted: quoted})
		}
		cur.Reset()
		inWord, quoted = false, false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			inQ = !inQ
			inWord, quoted = true, true
		case !inQ && isSpace(ch):
			flush()
		case ch == 0:
			// /proc/cmdline has no NULs, but a captured file might; treat as space.
			flush()
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	flush()
	return words
}

func isSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f'
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
