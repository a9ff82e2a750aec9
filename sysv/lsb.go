package sysv

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// ErrNoHeader is wrapped by the error for a script that has no LSB header
// (no "### BEGIN INIT INFO" line).
var ErrNoHeader = errors.New("sysv: no LSB header")

// ErrMalformed is wrapped by the error for an LSB header that does not follow
// the comment conventions: a block that is not closed, a line inside it that
// is not a comment, a keyword given twice, a runlevel that does not exist.
var ErrMalformed = errors.New("sysv: malformed LSB header")

// MaxHeaderBytes is how much of a script is read to find its LSB header.
// Headers sit at the top, after the interpreter line and a copyright notice;
// the longest in Debian ends before its 3 KiB.
const MaxHeaderBytes = 64 << 10

// Header is the LSB comment header of an init script.
type Header struct {
	Provides         []string // boot facilities the script provides
	RequiredStart    []string
	RequiredStop     []string
	ShouldStart      []string
	ShouldStop       []string
	StartBefore      []string // X-Start-Before (Debian, insserv)
	StopAfter        []string // X-Stop-After (Debian, insserv)
	DefaultStart     []string // runlevels, "0".."9" or "S", in the order given
	DefaultStop      []string
	ShortDescription string
	Description      string // continuation lines joined with "\n"
	Interactive      bool   // X-Interactive: true
}

const (
	beginLine = "### BEGIN INIT INFO"
	endLine   = "### END INIT INFO"
)

// ParseHeader finds the LSB header in data, the beginning of an init script,
// and decodes it. Only the first block counts. It returns what it decoded even
// with an error: the error wraps ErrNoHeader when there is no block, and
// ErrMalformed for the first problem in one (parsing goes on past it).
// Keywords are matched without regard to case, as insserv does; keywords
// it does not know (other X- extensions) are ignored. A keyword given twice
// is an error and the last one counts, as with update-rc.d.
func ParseHeader(data []byte) (Header, error) {
	var (
		h       Header
		first   error
		inBlock bool
		closed  bool
		inDesc  bool // the last keyword was Description
		seen    uint16
		desc    strings.Builder
	)
	fail := func(line int, format string, args ...any) {
		if first == nil {
			first = fmt.Errorf("%w: line %d: %s", ErrMalformed, line, fmt.Sprintf(format, args...))
		}
	}
	for n := 1; len(data) > 0 && !closed; n++ {
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		trimmed := bytes.TrimRight(raw, " \t\r")
		if !inBlock {
			inBlock = string(trimmed) == beginLine // no allocation
			continue
		}
		line := string(trimmed)
		if line == endLine {
			closed = true
			break
		}
		if !strings.HasPrefix(line, "#") {
			fail(n, "not a comment inside the header")
			inDesc = false
			continue
		}
		rest := line[1:]
		if strings.HasPrefix(rest, "\t") || strings.HasPrefix(rest, "  ") {
			if inDesc {
				if desc.Len() > 0 {
					desc.WriteByte('\n')
				}
				desc.WriteString(strings.TrimSpace(rest))
			}
			continue
		}
		kw, args, ok := keywordLine(rest)
		if !ok {
			continue // "#" alone or prose: not a keyword, nothing to decode
		}
		inDesc = false
		k := lookupKeyword(kw)
		if k < 0 {
			continue
		}
		if seen&(1<<k) != 0 {
			fail(n, "%s given twice", keywords[k])
		}
		seen |= 1 << k
		switch k {
		case kwProvides:
			h.Provides = strings.Fields(args)
		case kwRequiredStart:
			h.RequiredStart = strings.Fields(args)
		case kwRequiredStop:
			h.RequiredStop = strings.Fields(args)
		case kwShouldStart:
			h.ShouldStart = strings.Fields(args)
		case kwShouldStop:
			h.ShouldStop = strings.Fields(args)
		case kwStartBefore:
			h.StartBefore = strings.Fields(args)
		case kwStopAfter:
			h.StopAfter = strings.Fields(args)
		case kwDefaultStart, kwDefaultStop:
			rls, bad := runlevels(args)
			if bad != "" {
				fail(n, "%s: %q is not a runlevel", keywords[k], bad)
			}
			if k == kwDefaultStart {
				h.DefaultStart = rls
			} else {
				h.DefaultStop = rls
			}
		case kwShortDescription:
			h.ShortDescription = strings.TrimSpace(args)
		case kwDescription:
			desc.Reset()
			desc.WriteString(strings.TrimSpace(args))
			inDesc = true
		case kwInteractive:
			h.Interactive = strings.EqualFold(strings.TrimSpace(args), "true")
		}
	}
	h.Description = desc.String()
	switch {
	case !inBlock:
		return h, ErrNoHeader
	case !closed:
		if first == nil {
			first = fmt.Errorf("%w: %q missing", ErrMalformed, endLine)
		}
	}
	return h, first
}

// keywordLine splits the part of a header line after its '#' into keyword
// and arguments: exactly one space, a keyword, a colon.
func keywordLine(rest string) (kw, args string, ok bool) {
	if len(rest) < 2 || rest[0] != ' ' || rest[1] == ' ' || rest[1] == '\t' {
		return "", "", false
	}
	kw, args, ok = strings.Cut(rest[1:], ":")
	if !ok || kw == "" || strings.ContainsAny(kw, " \t") {
		return "", "", false
	}
	return kw, args, true
}

const (
	kwProvides = iota
	kwRequiredStart
	kwRequiredStop
	kwShouldStart
	kwShouldStop
	kwStartBefore
	kwStopAfter
	kwDefaultStart
	kwDefaultStop
	kwShortDescription
	kwDescription
	kwInteractive
)

var keywords = [...]string{
	kwProvides:         "Provides",
	kwRequiredStart:    "Required-Start",
	kwRequiredStop:     "Required-Stop",
	kwShouldStart:      "Should-Start",
	kwShouldStop:       "Should-Stop",
	kwStartBefore:      "X-Start-Before",
	kwStopAfter:        "X-Stop-After",
	kwDefaultStart:     "Default-Start",
	kwDefaultStop:      "Default-Stop",
	kwShortDescription: "Short-Description",
	kwDescription:      "Description",
	kwInteractive:      "X-Interactive",
}

func lookupKeyword(kw string) int {
	for i, k := range keywords {
		if strings.EqualFold(kw, k) {
			return i
		}
	}
	return -1
}

// runlevels splits a Default-Start or Default-Stop value into runlevels,
// dropping repeats and returning the first word that is not a runlevel
// (sysvinit knows 0 to 9 and S, and takes s for S).
func runlevels(args string) (rls []string, bad string) {
	for _, f := range strings.Fields(args) {
		if f == "s" {
			f = "S"
		}
		if len(f) != 1 || !(f[0] >= '0' && f[0] <= '9' || f[0] == 'S') {
			if bad == "" {
				bad = f
			}
			continue
		}
		dup := false
		for _, r := range rls {
			dup = dup || r == f
		}
		if !dup {
			rls = append(rls, f)
		}
	}
	return rls, bad
}
