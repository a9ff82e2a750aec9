package systemd

import (
	"math"
	"strconv"
	"strings"
)

// USecInfinity is systemd's USEC_INFINITY: a timestamp or timespan that is
// not set / never.
const USecInfinity = math.MaxUint64

// Microseconds per unit, as time-util.h defines them.
const (
	usecPerMSec   = 1000
	usecPerSec    = 1000 * usecPerMSec
	usecPerMinute = 60 * usecPerSec
	usecPerHour   = 60 * usecPerMinute
	usecPerDay    = 24 * usecPerHour
	usecPerWeek   = 7 * usecPerDay
	usecPerMonth  = 2629800 * usecPerSec
	usecPerYear   = 31557600 * usecPerSec
)

var timespanUnits = []struct {
	suffix string
	usec   uint64
}{
	{"y", usecPerYear},
	{"month", usecPerMonth},
	{"w", usecPerWeek},
	{"d", usecPerDay},
	{"h", usecPerHour},
	{"min", usecPerMinute},
	{"s", usecPerSec},
	{"ms", usecPerMSec},
	{"us", 1},
}

// FormatTimespan renders a span of microseconds the way systemd's
// format_timespan() does ("1min 5.947s", "710ms"), truncating to accuracy
// microseconds; systemd-analyze uses an accuracy of one millisecond.
func FormatTimespan(t, accuracy uint64) string {
	if t == USecInfinity {
		return "infinity"
	}
	if t == 0 {
		return "0"
	}
	if accuracy == 0 {
		accuracy = 1
	}
	var b strings.Builder
	something := false
	for _, u := range timespanUnits {
		if t == 0 {
			break
		}
		if t < accuracy && something {
			break
		}
		if t < u.usec {
			continue
		}
		a, rem := t/u.usec, t%u.usec
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		done := false
		// Below a minute a remainder is shown as a decimal fraction of
		// the unit, with as many digits as the accuracy allows.
		if t < usecPerMinute && rem > 0 {
			digits := 0
			for cc := u.usec; cc > 1; cc /= 10 {
				digits++
			}
			for cc := accuracy; cc > 1; cc /= 10 {
				rem /= 10
				digits--
			}
			if digits > 0 {
				frac := strconv.FormatUint(rem, 10)
				b.WriteString(strconv.FormatUint(a, 10))
				b.WriteByte('.')
				b.WriteString(strings.Repeat("0", max(0, digits-len(frac))))
				b.WriteString(frac)
				b.WriteString(u.suffix)
				t = 0
				done = true
			}
		}
		if !done {
			b.WriteString(strconv.FormatUint(a, 10))
			b.WriteString(u.suffix)
			t = rem
		}
		something = true
	}
	return b.String()
}
