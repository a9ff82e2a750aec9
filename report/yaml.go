package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// YAML writes the JSON text doc as a YAML document that a YAML 1.1 parser
// (go-yaml v2, libyaml) reads back into the same value: members keep the
// order the JSON gives them, strings are written plain where no resolver
// could take them for anything else (a number, a boolean, null) and
// double-quoted with escapes otherwise, so that control characters never
// reach a terminal raw either.
func YAML(w io.Writer, doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	n, err := decodeNode(dec, 0)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("report: trailing data after the JSON value")
	}
	var b bytes.Buffer
	switch {
	case n.kind == '{' && len(n.members) > 0:
		writeMembers(&b, n, 0)
	case n.kind == '[' && len(n.items) > 0:
		writeItems(&b, n, 0)
	default:
		b.WriteString(inline(n))
		b.WriteByte('\n')
	}
	_, err = w.Write(b.Bytes())
	return err
}

// node is a JSON value with its object members in document order.
type node struct {
	kind    byte // '{', '[', or 0 for a scalar
	scalar  string
	members []member
	items   []*node
}

type member struct {
	key   string
	value *node
}

// maxDepth bounds nesting, as encoding/json's decoder does.
const maxDepth = 10000

func decodeNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errors.New("report: JSON nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &node{kind: byte(t)}
		for dec.More() {
			if t == '{' {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{kt.(string), v})
				continue
			}
			v, err := decodeNode(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		_, err := dec.Token() // the closing delimiter
		return n, err
	case string:
		return &node{scalar: yamlString(t)}, nil
	case json.Number:
		return &node{scalar: t.String()}, nil
	case bool:
		return &node{scalar: strconv.FormatBool(t)}, nil
	case nil:
		return &node{scalar: "null"}, nil
	}
	return nil, errors.New("report: unexpected JSON token")
}

// inline renders a scalar or an empty collection.
func inline(n *node) string {
	switch {
	case n.kind == '{':
		return "{}"
	case n.kind == '[':
		return "[]"
	}
	return n.scalar
}

func collection(n *node) bool {
	return n.kind == '{' && len(n.members) > 0 || n.kind == '[' && len(n.items) > 0
}

// maxSimpleKey is below the 1024 characters within which a YAML parser
// must find the ':' of an implicit key; a longer key is written as an
// explicit one ("? key").
const maxSimpleKey = 1000

// writeMembers writes an object's members at indent; the first one's
// line is already indented (after "- " for a list item) when first is
// false.
func writeMembers(b *bytes.Buffer, n *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for i, m := range n.members {
		if i > 0 {
			b.WriteString(pad)
		}
		key := yamlString(m.key)
		if len(key) > maxSimpleKey {
			b.WriteString("? ")
			b.WriteString(key)
			b.WriteByte('\n')
			b.WriteString(pad)
			b.WriteByte(':')
		} else {
			b.WriteString(key)
			b.WriteByte(':')
		}
		writeValue(b, m.value, indent)
	}
}

// writeValue writes what follows "key:".
func writeValue(b *bytes.Buffer, v *node, indent int) {
	if !collection(v) {
		b.WriteByte(' ')
		b.WriteString(inline(v))
		b.WriteByte('\n')
		return
	}
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", indent+2))
	if v.kind == '{' {
		writeMembers(b, v, indent+2)
	} else {
		writeItems(b, v, indent+2)
	}
}

// writeItems writes a list's items at indent, the first line already
// indented.
func writeItems(b *bytes.Buffer, n *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for i, it := range n.items {
		if i > 0 {
			b.WriteString(pad)
		}
		b.WriteString("- ")
		switch {
		case !collection(it):
			b.WriteString(inline(it))
			b.WriteByte('\n')
		case it.kind == '{':
			writeMembers(b, it, indent+2)
		default:
			writeItems(b, it, indent+2)
		}
	}
}

// yamlString renders s as a YAML scalar that reads back as the string s.
func yamlString(s string) string {
	if plainSafe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// Not from a JSON decoder, which replaces bad bytes;
			// written as the replacement character, as it would.
			b.WriteString(`\uFFFD`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case yamlPrintable(r):
			b.WriteString(s[i : i+size])
		case r < 0x100:
			b.WriteString(`\x`)
			b.WriteString(hex2(uint32(r), 2))
		case r < 0x10000:
			b.WriteString(`\u`)
			b.WriteString(hex2(uint32(r), 4))
		default:
			b.WriteString(`\U`)
			b.WriteString(hex2(uint32(r), 8))
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

func hex2(v uint32, digits int) string {
	s := strconv.FormatUint(uint64(v), 16)
	return strings.Repeat("0", digits-len(s)) + s
}

// yamlPrintable reports whether r may stand raw inside a double-quoted
// scalar: YAML 1.1's printable set, less the characters it takes for line
// breaks (NEL, LS, PS) and the byte order mark.
func yamlPrintable(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7e:
		return true
	case r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff:
		return false
	case r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000 && r <= 0x10ffff:
		return true
	}
	return false
}

// plainSafe reports whether s can be written unquoted: it starts with a
// letter, '/' or '_' (no indicator, no number, no timestamp), holds only
// characters that mean nothing in a block plain scalar, does not end in
// a space, and is none of YAML 1.1's booleans or nulls.
func plainSafe(s string) bool {
	if s == "" || len(s) > maxSimpleKey {
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(" ._/+@=()-,", c) >= 0:
		default:
			return false
		}
	}
	if s[len(s)-1] == ' ' {
		return false
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "true", "false", "on", "off", "null":
		return false
	}
	return true
}
