package systemd

import (
	"strconv"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// parseTimespan reads FormatTimespan's output back (the subset of
// systemd's parse_sec syntax it produces).
func parseTimespan(t *testing.T, s string) uint64 {
	t.Helper()
	if s == "0" {
		return 0
	}
	var total uint64
	for _, tok := range strings.Fields(s) {
		i := strings.IndexFunc(tok, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 {
			t.Fatalf("bad token %q in %q", tok, s)
		}
		var mult uint64
		for _, u := range timespanUnits {
			if u.suffix == tok[i:] {
				mult = u.usec
			}
		}
		if mult == 0 {
			t.Fatalf("bad unit in %q", s)
		}
		whole, frac, _ := strings.Cut(tok[:i], ".")
		w, err := strconv.ParseUint(whole, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		total += w * mult
		if frac != "" {
			f, _ := strconv.ParseUint(frac, 10, 64)
			for d := len(frac); d > 0; d-- {
				mult /= 10
			}
			total += f * mult
		}
	}
	return total
}

// FuzzFormatTimespan: at microsecond accuracy the text reads back to the
// exact value; at any accuracy it never panics and never overstates.
// Seeds are spans seen from the lab's manager.
func FuzzFormatTimespan(f *testing.F) {
	for _, v := range []uint64{0, 1, 999, 18_844, 67_037, 2_554_928, 65_947_123, 3_600_000_001, 90_061_000_000, USecInfinity - 1} {
		f.Add(v, uint64(1))
		f.Add(v, uint64(usecPerMSec))
	}
	f.Fuzz(func(t *testing.T, v, accuracy uint64) {
		if v == USecInfinity {
			return
		}
		s := FormatTimespan(v, accuracy)
		if accuracy <= 1 {
			if got := parseTimespan(t, s); got != v {
				t.Fatalf("FormatTimespan(%d) = %q reads back as %d", v, s, got)
			}
		} else if got := parseTimespan(t, s); got > v {
			t.Fatalf("FormatTimespan(%d, %d) = %q overstates (%d)", v, accuracy, s, got)
		}
	})
}

// FuzzUnitPath: any name a unit can have survives escaping into an object
// path and back, and no path makes unitNameFromPath panic.
func FuzzUnitPath(f *testing.F) {
	for _, s := range []string{"dbus.service", "-.mount", `dev-disk-by\x2duuid-1234.device`, "user@0.service", "0.slice", "_2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		_, _ = unitNameFromPath(dbus.ObjectPath(unitPathPrefix + name))
		for _, r := range name {
			// Bytes below 0x10 make go-systemd's escape emit a single
			// hex digit; systemd never allows them in unit names.
			if r < 0x20 || r == '/' {
				return
			}
		}
		if name == "" {
			return
		}
		if back, ok := unitNameFromPath(unitPath(name)); !ok || back != name {
			t.Fatalf("%q -> %s -> %q, %v", name, unitPath(name), back, ok)
		}
	})
}

// FuzzCriticalChain builds After= graphs from bytes and checks the walk
// terminates with well-formed depths, every link an After= dependency of
// its parent.
func FuzzCriticalChain(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0, 3, 4})
	f.Add([]byte("critical chain seed with cycles"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const n = 8
		name := func(b byte) string { return "u" + strconv.Itoa(int(b%n)) + ".service" }
		after := map[string][]string{}
		times := map[string]UnitTimes{}
		for i := 0; i+1 < len(data); i += 2 {
			after[name(data[i])] = append(after[name(data[i])], name(data[i+1]))
			u := name(data[i+1])
			times[u] = UnitTimes{InactiveExitUSec: 100*sec + uint64(data[i])*1000, ActiveEnterUSec: 100*sec + uint64(data[i+1])*1000}
		}
		tl := NewTimeline(BootTimes{UserspaceUSec: 100 * sec, FinishUSec: 101 * sec}, ScopeUser, "u0.service", 0)
		chain := tl.CriticalChain("u0.service", tl.UnitTimes(times), func(s string) []string { return after[s] }, nil, uint64(len(data))*100)
		parents := []string{"u0.service"}
		for i, l := range chain {
			if i == 0 && l.Depth == 0 {
				continue
			}
			if l.Depth < 1 || l.Depth > len(parents) {
				t.Fatalf("link %d depth %d after %d levels: %+v", i, l.Depth, len(parents), chain)
			}
			parents = parents[:l.Depth]
			if !l.Cycle {
				found := false
				for _, d := range after[parents[l.Depth-1]] {
					found = found || d == l.Unit
				}
				if !found {
					t.Fatalf("link %s is not After= of %s", l.Unit, parents[l.Depth-1])
				}
			}
			parents = append(parents, l.Unit)
		}
		_ = FormatCriticalChain(chain)
	})
}
