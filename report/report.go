package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bootinfo/bootinfo/kmsg"
	"github.com/bootinfo/bootinfo/systemd"
)

// Level grades a verdict, a fact or a warning.
type Level int

// The levels, from no opinion to failure.
const (
	// None is a stage the agent did not collect or could not tell.
	None Level = iota
	OK
	Warn
	Fail
)

// String returns the level's word: "-", "ok", "warn" or "fail".
func (l Level) String() string {
	switch l {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	case Fail:
		return "fail"
	}
	return "-"
}

// Report is the boot as a person reads it.
type Report struct {
	// Host names the host ("node-a17"); About says what runs there and
	// since when, in one line.
	Host, About string
	// Warnings come first: every problem the stages found, with the
	// stage it belongs to.
	Warnings []Warning
	// Stages are in boot order.
	Stages []Stage
}

// Warning is one problem, in one line.
type Warning struct {
	Stage string
	Level Level
	Text  string
}

// Stage is one step of the boot.
type Stage struct {
	// Name is the stage's title: "Firmware", "Boot loader", ...
	Name string
	// Sections are the document's sections it is drawn from, for links.
	Sections []string
	Level    Level
	// Verdict says in one line how the stage went.
	Verdict string
	Facts   []Fact
}

// Fact is one line of a stage: what and its value.
type Fact struct {
	Label, Value string
	Level        Level
}

// The stages, in boot order, and the sections each reads; a section
// shown alone (show SECTION) prints the first stage that reads it.
var stageSections = []struct {
	name     string
	sections []string
}{
	{"Firmware", []string{"firmware"}},
	{"Hardware", []string{"dmi"}},
	{"Boot loader", []string{"bootloader"}},
	{"Kernel", []string{"host", "kmsg"}},
	{"Init", []string{"systemd"}},
	{"History", []string{"history"}},
}

// StageFor returns the name of the stage that shows section, or "".
func StageFor(section string) string {
	for _, s := range stageSections {
		for _, sec := range s.sections {
			if sec == section {
				return s.name
			}
		}
	}
	return ""
}

// Build reads the JSON document (/bootinfo's, or an object holding some
// of its sections) and makes the report. Every string from the host is
// made printable: control characters and bytes that are not UTF-8 are
// written as \xNN, as dmesg writes them.
func Build(doc []byte) (*Report, error) {
	var d document
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("report: reading the document: %w", err)
	}
	b := &builder{d: &d}
	b.header()
	for _, s := range stageSections {
		st := Stage{Name: s.name, Sections: s.sections}
		b.cur = &st
		switch s.name {
		case "Firmware":
			b.firmware()
		case "Hardware":
			b.hardware()
		case "Boot loader":
			b.loader()
		case "Kernel":
			b.kernel()
		case "Init":
			b.init()
		case "History":
			b.history()
		}
		if st.Verdict == "" {
			st.Verdict = b.notCollected(s.sections)
		}
		b.r.Stages = append(b.r.Stages, st)
	}
	// Sections that failed outright, that no stage reads.
	for _, name := range sortedKeys(d.Errors) {
		if StageFor(name) == "" {
			b.r.Warnings = append(b.r.Warnings, Warning{Stage: name, Level: Warn, Text: name + " failed: " + d.Errors[name]})
		}
	}
	sort.SliceStable(b.r.Warnings, func(i, j int) bool { return b.r.Warnings[i].Level > b.r.Warnings[j].Level })
	b.r.clean()
	return &b.r, nil
}

type builder struct {
	d   *document
	r   Report
	cur *Stage
}

// fact adds a line to the current stage; an empty value adds nothing, so
// that defaults and zeros are never printed.
func (b *builder) fact(label, value string) {
	if value != "" {
		b.cur.Facts = append(b.cur.Facts, Fact{Label: label, Value: value})
	}
}

// problem adds a line to the current stage and the same text to the
// warnings.
func (b *builder) problem(level Level, label, value string) {
	b.cur.Facts = append(b.cur.Facts, Fact{Label: label, Value: value, Level: level})
	b.warn(level, label+": "+value)
}

func (b *builder) warn(level Level, text string) {
	b.r.Warnings = append(b.r.Warnings, Warning{Stage: b.cur.Name, Level: level, Text: text})
	if level > b.cur.Level {
		b.cur.Level = level
	}
}

// verdict sets the current stage's verdict, at least at level.
func (b *builder) verdict(level Level, format string, args ...any) {
	b.cur.Verdict = fmt.Sprintf(format, args...)
	if level > b.cur.Level {
		b.cur.Level = level
	}
}

// unread says which of a section's fields could not be read, in one line.
func (b *builder) unread(errs map[string]string) {
	var parts []string
	for _, k := range sortedKeys(errs) {
		e := errs[k]
		if i := strings.LastIndex(e, ": "); i >= 0 {
			e = e[i+2:]
		}
		parts = append(parts, k+" ("+e+")")
	}
	b.fact("Not read", strings.Join(parts, ", "))
}

// notCollected is the verdict of a stage without its sections: failed
// (and why), or not collected.
func (b *builder) notCollected(sections []string) string {
	for _, s := range sections {
		if e, ok := b.d.Errors[s]; ok {
			b.warn(Warn, s+" failed: "+e)
			return "not read: " + e
		}
	}
	return "not collected"
}

// header names the host and says what runs there and since when.
func (b *builder) header() {
	h := b.d.Host
	if h == nil {
		b.r.Host = "this host"
		return
	}
	b.r.Host = h.Hostname
	var parts []string
	if h.OS.PrettyName != "" {
		parts = append(parts, h.OS.PrettyName)
	}
	if h.Architecture != "" {
		parts = append(parts, h.Architecture)
	}
	if t, err := time.Parse(time.RFC3339, h.BootTime); err == nil {
		parts = append(parts, "booted "+t.UTC().Format("2006-01-02 15:04 MST"))
	}
	if h.UptimeSeconds > 0 {
		parts = append(parts, "up "+uptime(h.UptimeSeconds))
	}
	b.r.About = strings.Join(parts, ", ")
}

// clean makes every string of the report printable.
func (r *Report) clean() {
	r.Host, r.About = printable(r.Host), printable(r.About)
	for i := range r.Warnings {
		r.Warnings[i].Text = printable(r.Warnings[i].Text)
	}
	for i := range r.Stages {
		s := &r.Stages[i]
		s.Verdict = printable(s.Verdict)
		for j := range s.Facts {
			s.Facts[j].Value = printable(s.Facts[j].Value)
		}
	}
}

// printable escapes what a terminal would act on, and line breaks, so
// that every value keeps to its line (a kernel message or a crash detail
// may hold several); the escapes are dmesg's \xNN. The rest is made valid
// UTF-8.
func printable(s string) string {
	s = lineBreaks.Replace(kmsg.Printable(s))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

var lineBreaks = strings.NewReplacer("\n", `\x0a`, "\r", `\x0d`, "\v", `\x0b`, "\f", `\x0c`)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// uptime writes seconds as days, hours and minutes: "3d 4h", "2h 5m",
// "42s".
func uptime(s float64) string {
	d := time.Duration(math.Min(s, 1e9) * float64(time.Second))
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// usec writes a duration in microseconds as systemd-analyze does:
// "972ms", "1.234s", "1min 2.500s".
func usec(u uint64) string {
	if u == 0 {
		return "0us"
	}
	return systemd.FormatTimespan(u, 1000)
}

// bytesIEC writes a size in binary units: "1 GiB", "512 MiB", "1.5 TiB".
func bytesIEC(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// join joins the non-empty strings of parts with sep.
func join(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
