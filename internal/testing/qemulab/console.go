package qemulab

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// markerPrefix starts every line /init writes to frame an output; a random
// per-boot token follows it.
const markerPrefix = "@@qemulab-"

// ErrIncomplete reports that the guest did not get to the end of /init: the
// kernel panicked, /init failed, QEMU was killed at the deadline or the console
// output grew past its bound.
var ErrIncomplete = errors.New("qemulab: guest did not finish /init")

// Output is what one guest command or captured file produced.
type Output struct {
	// Stdout is the command's standard output, or the captured file's bytes.
	Stdout []byte
	// Stderr is the command's standard error.
	Stderr []byte
	// ExitStatus is the command's exit status (cat's for a captured file).
	ExitStatus int
}

// initTimes are the guest's uptime when /init started and when it finished its
// work, as /init printed them on its START and DONE markers.
type initTimes struct {
	start, done time.Duration
}

// parseConsole extracts the framed outputs and /init's timestamps from a
// serial console transcript. done reports whether /init printed its final
// marker. Console noise outside the frames (firmware, kernel, escape
// sequences) is ignored; a frame that does not decode is an error.
func parseConsole(console []byte, token string) (outs map[string]*Output, times initTimes, done bool, err error) {
	marker := markerPrefix + token + " "
	outs = map[string]*Output{}
	var (
		name      string
		inStderr  bool
		open      bool
		out, errb strings.Builder
	)
	for _, raw := range bytes.Split(console, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		i := strings.Index(line, marker)
		if i < 0 {
			if open {
				b := &out
				if inStderr {
					b = &errb
				}
				b.WriteString(strings.TrimSpace(line))
			}
			continue
		}
		f := strings.Fields(line[i+len(marker):])
		if len(f) == 0 {
			return outs, times, done, fmt.Errorf("qemulab: console: empty marker line")
		}
		switch f[0] {
		case "START":
			times.start = parseUptime(f[1:])
		case "DONE":
			times.done = parseUptime(f[1:])
			if open {
				return outs, times, done, fmt.Errorf("qemulab: console: output %s not closed", name)
			}
			done = true
		case "BEGIN":
			if open || len(f) != 2 {
				return outs, times, done, fmt.Errorf("qemulab: console: unexpected %q", line[i:])
			}
			name, open, inStderr = f[1], true, false
			out.Reset()
			errb.Reset()
		case "STDERR":
			if !open || inStderr || len(f) != 2 || f[1] != name {
				return outs, times, done, fmt.Errorf("qemulab: console: unexpected %q", line[i:])
			}
			inStderr = true
		case "END":
			if !open || !inStderr || len(f) != 3 || f[1] != name {
				return outs, times, done, fmt.Errorf("qemulab: console: unexpected %q", line[i:])
			}
			rc, err := strconv.Atoi(f[2])
			if err != nil {
				return outs, times, done, fmt.Errorf("qemulab: console: exit status of %s: %w", name, err)
			}
			o := &Output{ExitStatus: rc}
			if o.Stdout, err = base64.StdEncoding.DecodeString(out.String()); err != nil {
				if rc == 0 {
					return outs, times, done, fmt.Errorf("qemulab: console: stdout of %s: %w", name, err)
				}
				// A file that failed to read part way leaves a cut encoding;
				// its exit status and stderr say what happened.
				o.Stdout = nil
			}
			if o.Stderr, err = base64.StdEncoding.DecodeString(errb.String()); err != nil {
				return outs, times, done, fmt.Errorf("qemulab: console: stderr of %s: %w", name, err)
			}
			if _, dup := outs[name]; dup {
				return outs, times, done, fmt.Errorf("qemulab: console: output %s given twice", name)
			}
			outs[name] = o
			open = false
		default:
			return outs, times, done, fmt.Errorf("qemulab: console: unknown marker %q", f[0])
		}
	}
	if open {
		return outs, times, false, nil // cut short: the caller reports ErrIncomplete
	}
	return outs, times, done, nil
}

// parseUptime reads the first field of /proc/uptime ("12.34"); zero if absent.
func parseUptime(f []string) time.Duration {
	if len(f) == 0 {
		return 0
	}
	sec, err := strconv.ParseFloat(f[0], 64)
	if err != nil || sec < 0 || sec > 1e6 {
		return 0
	}
	return time.Duration(sec * float64(time.Second))
}
