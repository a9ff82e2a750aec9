package plot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// drawn is what a picture says in its markup, read back as a program
// would: every phase, unit and milestone with its exact numbers.
type drawn struct {
	Origin     string
	LeftOut    int
	Title      string
	Phases     []Phase
	Units      []Unit
	Milestones []Milestone
	// Titles maps each group's key (its data-phase, data-unit or
	// data-milestone) to its <title> text.
	Titles map[string]string
}

// allowedElements are the only elements a picture may hold: nothing that
// runs script, loads a resource or styles the page around it.
var allowedElements = map[string]bool{"svg": true, "title": true, "g": true, "rect": true, "line": true, "path": true, "text": true}

// parseSVG decodes a picture with encoding/xml in strict mode, which fails
// on anything that is not well-formed XML, and checks its shape.
func parseSVG(svg []byte) (drawn, error) {
	var d drawn
	d.Titles = map[string]string{}
	if !bytes.HasPrefix(svg, []byte("<svg ")) {
		return d, errors.New("does not start with <svg (a prolog or anything before it breaks inlining in HTML)")
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = true
	var stack []string
	var group string // key of the <g> being read
	inTitle := false
	var title strings.Builder
	roots := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return d, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !allowedElements[t.Name.Local] {
				return d, fmt.Errorf("element <%s> is not allowed", t.Name.Local)
			}
			if len(stack) == 0 {
				roots++
				if t.Name.Local != "svg" || t.Name.Space != "http://www.w3.org/2000/svg" {
					return d, fmt.Errorf("root %v", t.Name)
				}
			}
			attrs := map[string]string{}
			for _, a := range t.Attr {
				if a.Name.Local == "id" || strings.Contains(a.Name.Local, "href") || strings.HasPrefix(a.Name.Local, "on") || a.Name.Local == "class" {
					return d, fmt.Errorf("attribute %s on <%s> is not allowed", a.Name.Local, t.Name.Local)
				}
				attrs[a.Name.Local] = a.Value
			}
			stack = append(stack, t.Name.Local)
			if err := d.element(t.Name.Local, attrs, &group); err != nil {
				return d, err
			}
			if t.Name.Local == "title" {
				inTitle = true
				title.Reset()
			}
		case xml.EndElement:
			if t.Name.Local == "title" {
				inTitle = false
				switch {
				case len(stack) == 2:
					d.Title = title.String()
				case group != "":
					d.Titles[group] = title.String()
				}
			}
			if t.Name.Local == "g" {
				group = ""
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if inTitle {
				title.Write(t)
			} else if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return d, errors.New("text outside the root")
			}
		case xml.ProcInst, xml.Directive:
			return d, fmt.Errorf("%T in the picture", t)
		}
	}
	if roots != 1 {
		return d, fmt.Errorf("%d root elements", roots)
	}
	return d, nil
}

func (d *drawn) element(name string, a map[string]string, group *string) error {
	var err error
	i64 := func(k string) int64 {
		v, e := strconv.ParseInt(a[k], 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("%s: %w", k, e)
		}
		return v
	}
	u64 := func(k string) uint64 {
		v, e := strconv.ParseUint(a[k], 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("%s: %w", k, e)
		}
		return v
	}
	switch {
	case name == "svg":
		d.Origin = a["data-origin"]
		d.LeftOut = int(i64("data-units-left-out"))
	case name != "g":
	case a["data-phase"] != "":
		p := Phase{Name: a["data-phase"], StartUSec: i64("data-start-usec"), EndUSec: i64("data-end-usec")}
		if span := u64("data-usec"); err == nil && span != uint64(p.EndUSec-p.StartUSec) {
			err = fmt.Errorf("phase %s: data-usec %d, its bounds %d", p.Name, span, p.EndUSec-p.StartUSec)
		}
		d.Phases = append(d.Phases, p)
		*group = "phase:" + p.Name
	case a["data-unit"] != "":
		d.Units = append(d.Units, Unit{Name: a["data-unit"], ActivatingUSec: u64("data-activating-usec"), ActivatedUSec: u64("data-activated-usec"),
			DeactivatingUSec: u64("data-deactivating-usec"), DeactivatedUSec: u64("data-deactivated-usec"), TimeUSec: u64("data-time-usec")})
		*group = "unit:" + a["data-unit"]
	case a["data-milestone"] != "":
		d.Milestones = append(d.Milestones, Milestone{Name: a["data-milestone"], AtUSec: i64("data-at-usec")})
		*group = "milestone:" + a["data-milestone"]
	}
	return err
}

// render draws in and reads it back, failing the test on any error.
func renderParse(t testing.TB, in Input) ([]byte, drawn) {
	t.Helper()
	var b bytes.Buffer
	if err := SVG(&b, in); err != nil {
		t.Fatal(err)
	}
	d, err := parseSVG(b.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.Bytes())
	}
	return b.Bytes(), d
}

// xmllint checks svg with libxml2, the second opinion on well-formedness.
func xmllint(t testing.TB, svg []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		testutil.SkipOrFail(t, "xmllint (Debian libxml2-utils) is not installed: %v", err)
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(svg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}
