package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bootinfo/bootinfo/systemd"
)

// Layout, in the viewBox's units (CSS pixels at natural size).
const (
	width      = 800.0
	margin     = 8.0
	rowHeight  = 18.0
	barHeight  = 12.0
	fontSize   = 11.0
	charWidth  = 6.2 // a generous average advance of fontSize sans-serif
	headHeight = 44.0
	axisHeight = 18.0
	maxLabel   = 60 // runes of a name shown; the <title> has all of it
	maxNote    = 120
	clockBound = 1 << 50
)

// Colours, as presentation attributes: a <style> element would apply to
// the whole HTML page the picture is inlined into.
const (
	colActivating   = "#d9483b"
	colActive       = "#f2c4bd"
	colDeactivating = "#e8a33d"
	colMilestone    = "#3b5bdb"
	colGrid         = "#dddddd"
	colText         = "#222222"
	colMuted        = "#666666"
)

var phaseColours = map[string]string{
	"firmware":  "#8e9ad6",
	"loader":    "#a7bfe8",
	"kernel":    "#9cc99a",
	"initrd":    "#7cb87a",
	"userspace": "#5a9e58",
}

// SVG writes in as one <svg> element. It fails only when w does.
func SVG(w io.Writer, in Input) error {
	var b bytes.Buffer
	render(&b, in)
	_, err := w.Write(b.Bytes())
	return err
}

// canvas maps the picture's clock to x coordinates.
type canvas struct {
	from, to int64
	scale    float64
}

func (c canvas) x(t int64) float64 {
	t = max(c.from, min(t, c.to))
	return margin + float64(t-c.from)*c.scale
}

func render(b *bytes.Buffer, in Input) {
	units := in.Units
	leftOut := in.UnitsLeftOut
	if len(units) > MaxUnits {
		leftOut += len(units) - MaxUnits
		units = units[:MaxUnits]
	}
	c := newCanvas(in, units)
	rows := len(in.Phases) + len(in.Milestones) + len(units)
	notes := in.Notes
	if leftOut > 0 {
		notes = append(notes[:len(notes):len(notes)], strconv.Itoa(leftOut)+" more units took time to start; the slowest "+strconv.Itoa(len(units))+" are drawn")
	}
	top := headHeight
	bottom := top + float64(rows)*rowHeight + axisHeight
	height := bottom + float64(len(notes))*rowHeight + rowHeight + margin

	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 `)
	num(b, width)
	b.WriteByte(' ')
	num(b, height)
	b.WriteString(`" width="`)
	num(b, width)
	b.WriteString(`" height="`)
	num(b, height)
	b.WriteString(`" style="max-width:100%;height:auto" role="img" font-family="sans-serif" font-size="`)
	num(b, fontSize)
	b.WriteString(`" data-origin="`)
	esc(b, in.Origin)
	b.WriteString(`" data-units-left-out="`)
	b.WriteString(strconv.Itoa(leftOut))
	b.WriteString("\">\n<title>")
	esc(b, in.Title)
	b.WriteString("</title>\n")
	b.WriteString(`<rect width="100%" height="100%" fill="#ffffff"/>` + "\n")
	text(b, margin, 18, "start", colText, `font-size="15" font-weight="bold"`, clip(in.Title, maxNote))
	origin := "0 is the kernel's start"
	if in.Origin == OriginManager {
		origin = "0 is the service manager's start"
	}
	text(b, margin, 34, "start", colMuted, "", origin)

	grid(b, c, top, bottom)
	y := top
	for _, p := range in.Phases {
		phase(b, c, y, p)
		y += rowHeight
	}
	for _, m := range in.Milestones {
		milestone(b, c, y, m)
		y += rowHeight
	}
	for _, u := range units {
		unit(b, c, y, u)
		y += rowHeight
	}
	y = bottom + rowHeight
	for _, n := range notes {
		text(b, margin, y, "start", colMuted, "", clip(n, maxNote))
		y += rowHeight
	}
	legend(b, y)
	b.WriteString("</svg>\n")
}

// newCanvas spans everything drawn: the phases, the milestones and the
// units' starts. A unit's active and deactivating bars are cut at its
// end rather than stretch the picture to the moment it stopped.
func newCanvas(in Input, units []Unit) canvas {
	from, to := int64(0), int64(0)
	for _, p := range in.Phases {
		from, to = min(from, p.StartUSec), max(to, p.EndUSec)
	}
	for _, m := range in.Milestones {
		from, to = min(from, m.AtUSec), max(to, m.AtUSec)
	}
	for _, u := range units {
		to = max(to, clampInt(activationEnd(u)))
	}
	// Hostile timestamps must not overflow the arithmetic below; no boot
	// lasts 2^50 µs (35 years).
	from, to = max(from, -clockBound), min(to, clockBound)
	if to <= from {
		to = from + 1_000_000
	}
	// Room on the right for a label after the last bar.
	span := float64(to) - float64(from)
	return canvas{from: from, to: to, scale: (width - 2*margin) / span}
}

// activationEnd is when the unit's start ended: active, or failed.
func activationEnd(u Unit) uint64 {
	if u.ActivatedUSec >= u.ActivatingUSec {
		return u.ActivatedUSec
	}
	return max(u.DeactivatedUSec, u.ActivatingUSec)
}

func phase(b *bytes.Buffer, c canvas, y float64, p Phase) {
	span := uint64(0)
	if p.EndUSec > p.StartUSec {
		span = uint64(p.EndUSec - p.StartUSec)
	}
	b.WriteString(`<g data-phase="`)
	esc(b, p.Name)
	b.WriteString(`" data-start-usec="`)
	b.WriteString(strconv.FormatInt(p.StartUSec, 10))
	b.WriteString(`" data-end-usec="`)
	b.WriteString(strconv.FormatInt(p.EndUSec, 10))
	b.WriteString(`" data-usec="`)
	b.WriteString(strconv.FormatUint(span, 10))
	b.WriteString(`"><title>`)
	label := p.Name + " " + ms(span)
	esc(b, label)
	b.WriteString("</title>")
	col, ok := phaseColours[p.Name]
	if !ok {
		col = colMuted
	}
	x0, x1 := c.x(p.StartUSec), c.x(p.EndUSec)
	bar(b, x0, x1, y, col)
	rowLabel(b, x0, x1, y, label)
	b.WriteString("</g>\n")
}

func milestone(b *bytes.Buffer, c canvas, y float64, m Milestone) {
	b.WriteString(`<g data-milestone="`)
	esc(b, m.Name)
	b.WriteString(`" data-at-usec="`)
	b.WriteString(strconv.FormatInt(m.AtUSec, 10))
	b.WriteString(`"><title>`)
	esc(b, "["+seconds(m.AtUSec)+"] "+m.Name)
	if m.Message != "" {
		b.WriteString(": ")
		esc(b, m.Message)
	}
	b.WriteString("</title>")
	x := c.x(m.AtUSec)
	mid := y + rowHeight/2
	b.WriteString(`<path d="M`)
	num(b, x)
	b.WriteByte(' ')
	num(b, mid-5)
	b.WriteString(`l5 5l-5 5l-5 -5z" fill="` + colMilestone + `"/>`)
	rowLabel(b, x-3, x+3, y, m.Name)
	b.WriteString("</g>\n")
}

func unit(b *bytes.Buffer, c canvas, y float64, u Unit) {
	b.WriteString(`<g data-unit="`)
	esc(b, u.Name)
	for _, a := range []struct {
		name string
		v    uint64
	}{{"activating", u.ActivatingUSec}, {"activated", u.ActivatedUSec}, {"deactivating", u.DeactivatingUSec}, {"deactivated", u.DeactivatedUSec}, {"time", u.TimeUSec}} {
		b.WriteString(`" data-` + a.name + `-usec="`)
		b.WriteString(strconv.FormatUint(a.v, 10))
	}
	b.WriteString(`"><title>`)
	esc(b, u.Name+" +"+ms(u.TimeUSec)+" @"+ms(u.ActivatingUSec))
	b.WriteString("</title>")
	at := func(v uint64) int64 { return clampInt(v) }
	start := c.x(at(u.ActivatingUSec))
	end := start
	if u.ActivatedUSec >= u.ActivatingUSec {
		end = c.x(at(u.ActivatedUSec))
		bar(b, start, end, y, colActivating)
		stop := c.x(c.to)
		if u.DeactivatingUSec > u.ActivatedUSec {
			stop = c.x(at(u.DeactivatingUSec))
		}
		bar(b, end, stop, y, colActive)
		if u.DeactivatingUSec > u.ActivatedUSec && u.DeactivatedUSec > u.DeactivatingUSec {
			bar(b, stop, c.x(at(u.DeactivatedUSec)), y, colDeactivating)
		}
	} else if u.DeactivatedUSec > u.ActivatingUSec {
		// Never became active: the time it spent trying.
		end = c.x(at(u.DeactivatedUSec))
		bar(b, start, end, y, colActivating)
	}
	rowLabel(b, start, end, y, u.Name+" ("+ms(u.TimeUSec)+")")
	b.WriteString("</g>\n")
}

// bar draws a rectangle from x0 to x1 in the row at y, at least a hairline
// wide so that short spans stay visible.
func bar(b *bytes.Buffer, x0, x1, y float64, fill string) {
	b.WriteString(`<rect x="`)
	num(b, x0)
	b.WriteString(`" y="`)
	num(b, y+(rowHeight-barHeight)/2)
	b.WriteString(`" width="`)
	num(b, max(x1-x0, 0.5))
	b.WriteString(`" height="`)
	num(b, barHeight)
	b.WriteString(`" fill="` + fill + `"/>`)
}

// rowLabel writes s after the bar from x0 to x1, or before it when it
// would run past the right edge.
func rowLabel(b *bytes.Buffer, x0, x1, y float64, s string) {
	s = clip(s, maxLabel)
	w := float64(utf8.RuneCountInString(s)) * charWidth
	base := y + rowHeight/2 + fontSize*0.35
	switch {
	case x1+4+w <= width-margin:
		text(b, x1+4, base, "start", colText, "", s)
	case x0-4-w >= margin:
		text(b, x0-4, base, "end", colText, "", s)
	default:
		// No room on either side: over the bar.
		text(b, x0+4, base, "start", colText, "", s)
	}
}

func text(b *bytes.Buffer, x, y float64, anchor, fill, extra, s string) {
	b.WriteString(`<text x="`)
	num(b, x)
	b.WriteString(`" y="`)
	num(b, y)
	b.WriteString(`" text-anchor="` + anchor + `" fill="` + fill + `"`)
	if extra != "" {
		b.WriteString(" " + extra)
	}
	b.WriteByte('>')
	esc(b, s)
	b.WriteString("</text>")
}

// grid draws the time axis: a vertical line at every tick and its label
// above and below.
func grid(b *bytes.Buffer, c canvas, top, bottom float64) {
	step := tickStep(c.to - c.from)
	first := c.from / step * step
	if first < c.from {
		first += step
	}
	b.WriteString(`<g data-axis-step-usec="` + strconv.FormatInt(step, 10) + `">`)
	for t := first; t <= c.to; t += step {
		x := c.x(t)
		b.WriteString(`<line x1="`)
		num(b, x)
		b.WriteString(`" y1="`)
		num(b, top-2)
		b.WriteString(`" x2="`)
		num(b, x)
		b.WriteString(`" y2="`)
		num(b, bottom-axisHeight+2)
		col := colGrid
		if t == 0 {
			col = colMuted
		}
		b.WriteString(`" stroke="` + col + `" stroke-width="1"/>`)
		anchor := "middle"
		if x < margin+20 {
			anchor = "start"
		} else if x > width-margin-20 {
			anchor = "end"
		}
		text(b, x, bottom-4, anchor, colMuted, "", tickLabel(t, step))
		if t > c.to-step {
			break // t += step would wrap near the clock's end
		}
	}
	b.WriteString("</g>\n")
}

func legend(b *bytes.Buffer, y float64) {
	x := margin
	for _, l := range []struct{ col, name string }{{colActivating, "activating"}, {colActive, "active"}, {colDeactivating, "deactivating"}, {colMilestone, "kernel milestone"}} {
		bar(b, x, x+barHeight, y-rowHeight+3, l.col)
		text(b, x+barHeight+4, y, "start", colMuted, "", l.name)
		x += barHeight + 4 + float64(len(l.name))*charWidth + 16
	}
	b.WriteByte('\n')
}

// tickStep picks 1, 2 or 5 times a power of ten so that span has 4 to 10
// ticks.
func tickStep(span int64) int64 {
	step := int64(1)
	for {
		for _, m := range []int64{1, 2, 5} {
			if s := step * m; span/s <= 10 {
				return s
			}
		}
		if step > math.MaxInt64/10 {
			return step
		}
		step *= 10
	}
}

// tickLabel prints t, a multiple of step, in the largest unit that keeps
// it short: 1.5s, 200ms, 50µs.
func tickLabel(t, step int64) string {
	if t == 0 {
		return "0"
	}
	unit, div := "s", int64(1_000_000)
	switch {
	case step < 1_000:
		unit, div = "µs", 1
	case step < 1_000_000:
		unit, div = "ms", 1_000
	}
	digits := 0
	for d := step; d < div; d *= 10 {
		digits++
	}
	return strconv.FormatFloat(float64(t)/float64(div), 'f', digits, 64) + unit
}

// ms formats a span as systemd-analyze does, to the millisecond.
func ms(v uint64) string { return systemd.FormatTimespan(v, 1000) }

// seconds formats a kernel log time as dmesg does: [    1.234567].
func seconds(v int64) string {
	return strconv.FormatFloat(float64(v)/1e6, 'f', 6, 64)
}

// num writes a coordinate with one decimal.
func num(b *bytes.Buffer, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	b.Write(strconv.AppendFloat(b.AvailableBuffer(), v, 'f', 1, 64))
}

// esc writes s as XML character data, which is also valid in an attribute
// value: markup characters and quotes become references, and bytes that are
// not UTF-8 or not XML characters become U+FFFD.
func esc(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer never fails
}

// clip shortens s to n runes, ending it with an ellipsis.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
