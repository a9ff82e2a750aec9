package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// TextOptions say how Text writes the report.
type TextOptions struct {
	// Color marks levels with ANSI colours, for a terminal (see
	// UseColor).
	Color bool
	// Stage prints that stage alone (with its warnings), as
	// `bootinfo show SECTION --format text` does; "" prints the report.
	Stage string
}

// UseColor reports whether text for a terminal should be coloured: only
// on a terminal, never when NO_COLOR is set to anything but "" (as
// https://no-color.org asks), nor for TERM=dumb. getenv is os.Getenv.
func UseColor(terminal bool, getenv func(string) string) bool {
	return terminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// SGR sequences for the levels.
const (
	sgrReset = "\x1b[0m"
	sgrBold  = "\x1b[1m"
	sgrDim   = "\x1b[2m"
)

var levelSGR = map[Level]string{OK: "\x1b[32m", Warn: "\x1b[33m", Fail: "\x1b[1;31m"}

// labelWidth aligns the stages' facts.
const labelWidth = 14

// Text writes the report: the host, the warnings in one block, then each
// stage's verdict and facts.
func Text(w io.Writer, r *Report, o TextOptions) error {
	bw := bufio.NewWriter(w)
	paint := func(sgr, s string) string {
		if !o.Color || sgr == "" {
			return s
		}
		return sgr + s + sgrReset
	}
	if o.Stage == "" {
		fmt.Fprintf(bw, "%s", paint(sgrBold, r.Host))
		if r.About != "" {
			fmt.Fprintf(bw, ": %s", r.About)
		}
		bw.WriteString("\n\n")
	}
	var warnings []Warning
	for _, wr := range r.Warnings {
		if o.Stage == "" || wr.Stage == o.Stage {
			warnings = append(warnings, wr)
		}
	}
	if len(warnings) > 0 {
		fmt.Fprintf(bw, "%s\n", paint(levelSGR[Warn], "Warnings"))
		for _, wr := range warnings {
			mark := "!"
			if wr.Level == Fail {
				mark = "✗"
			}
			fmt.Fprintf(bw, "  %s %s: %s\n", paint(levelSGR[wr.Level], mark), wr.Stage, wr.Text)
		}
		bw.WriteString("\n")
	}
	for _, s := range r.Stages {
		if o.Stage != "" && s.Name != o.Stage {
			continue
		}
		tag := fmt.Sprintf("%-4s", s.Level)
		if s.Level == None {
			tag = paint(sgrDim, tag)
		} else {
			tag = paint(levelSGR[s.Level], tag)
		}
		fmt.Fprintf(bw, "%s %s %s\n", paint(sgrBold, pad(s.Name, 12)), tag, s.Verdict)
		for _, f := range s.Facts {
			v := f.Value
			if f.Level > OK {
				v = paint(levelSGR[f.Level], v)
			}
			fmt.Fprintf(bw, "  %s %s\n", paint(sgrDim, pad(f.Label, labelWidth)), v)
		}
	}
	return bw.Flush()
}

// pad pads s with spaces to width characters.
func pad(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}
