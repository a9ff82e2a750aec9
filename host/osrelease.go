package host

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// OSRelease holds the fields of os-release(5) that identify the operating
// system. All holds every assignment in the file.
type OSRelease struct {
	ID         string
	VersionID  string
	PrettyName string
	All        map[string]string
}

// ParseOSRelease parses an os-release(5) file: KEY=value lines, values
// optionally in single or double quotes with shell-style backslash escapes in
// double quotes, comments and blank lines ignored. Lines that are not
// assignments are skipped and reported in the error, which is returned together
// with everything that did parse.
func ParseOSRelease(b []byte) (OSRelease, error) {
	r := OSRelease{All: map[string]string{}}
	var bad []int
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			bad = append(bad, n)
			continue
		}
		val, ok := unquote(raw)
		if !ok {
			bad = append(bad, n)
			continue
		}
		r.All[key] = val
	}
	r.ID = r.All["ID"]
	r.VersionID = r.All["VERSION_ID"]
	r.PrettyName = r.All["PRETTY_NAME"]
	if r.PrettyName == "" && len(r.All) > 0 {
		// os-release(5): PRETTY_NAME defaults to "Linux".
		r.PrettyName = "Linux"
	}
	if err := sc.Err(); err != nil {
		return r, fmt.Errorf("host: os-release: %w", err)
	}
	if len(bad) > 0 {
		return r, fmt.Errorf("host: os-release: malformed lines %v", bad)
	}
	return r, nil
}

// unquote interprets a shell-style value: one quoted string, or a bare word.
func unquote(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	switch s[0] {
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return "", false
		}
		return s[1 : len(s)-1], true
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' {
			return "", false
		}
		var b strings.Builder
		in := s[1 : len(s)-1]
		for i := 0; i < len(in); i++ {
			if in[i] == '\\' && i+1 < len(in) && strings.IndexByte("\\$\"`", in[i+1]) >= 0 {
				i++
			} else if in[i] == '"' {
				return "", false
			}
			b.WriteByte(in[i])
		}
		return b.String(), true
	}
	return s, true
}
