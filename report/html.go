package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"
)

// Link is a link of the page's navigation. Href should be relative
// ("metrics", "bootinfo?pretty"), so that the page keeps working behind a
// proxy that serves the agent below a path of its own.
type Link struct {
	Href, Text, Description string
}

// PageOptions say what the page links and shows besides the report.
type PageOptions struct {
	// Links are the agent's endpoints: metrics, the document, health.
	Links []Link
	// SectionHref returns the link of a section's JSON, or "" for a
	// section the agent does not serve (nil: none are linked).
	SectionHref func(section string) string
	// Version is the agent's version, for the footer.
	Version string
	// Timeline, when not nil, writes the boot timeline as an SVG
	// element, which the page embeds as it is: its writer must escape
	// every host string in it (as the plot package does).
	Timeline io.WriterTo
}

//go:embed page.html
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

type pageStage struct {
	Stage
	Class string
	Links []Link
}

// HTML writes the report as one HTML page: inline CSS, no script, no
// external asset. html/template escapes every string of the report.
func HTML(w io.Writer, r *Report, o PageOptions) error {
	data := struct {
		R        *Report
		Links    []Link
		Stages   []pageStage
		Version  string
		Timeline template.HTML
	}{R: r, Links: o.Links, Version: o.Version}
	for _, s := range r.Stages {
		ps := pageStage{Stage: s, Class: s.Level.String()}
		if ps.Class == "-" {
			ps.Class = "none"
		}
		if o.SectionHref != nil {
			for _, sec := range s.Sections {
				if href := o.SectionHref(sec); href != "" {
					ps.Links = append(ps.Links, Link{Href: href, Text: sec})
				}
			}
		}
		data.Stages = append(data.Stages, ps)
	}
	if o.Timeline != nil {
		var svg bytes.Buffer
		if _, err := o.Timeline.WriteTo(&svg); err != nil {
			return err
		}
		// The plot package writes the SVG with every host string
		// escaped; it is embedded as markup, not text.
		data.Timeline = template.HTML(svg.String())
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
