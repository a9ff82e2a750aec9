package report

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	tagRE    = regexp.MustCompile(`<\s*/?\s*([A-Za-z][A-Za-z0-9-]*)`)
	entityRE = regexp.MustCompile(`^&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z]+);`)
	// pageTags are the elements page.html writes.
	pageTags = map[string]bool{"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true,
		"h1": true, "h2": true, "p": true, "nav": true, "a": true, "main": true, "section": true, "ul": true, "li": true, "b": true,
		"span": true, "dl": true, "dt": true, "dd": true, "figure": true, "footer": true}
)

// checkPage fails unless page is valid UTF-8, holds only the template's
// elements, no script and no reference out of the agent, and every '&'
// starts an entity.
func checkPage(t *testing.T, page string) {
	t.Helper()
	if !utf8.ValidString(page) {
		t.Error("the page is not valid UTF-8")
	}
	body := page[strings.Index(page, "</style>"):] // CSS may hold '>' and '&'
	for _, m := range tagRE.FindAllStringSubmatch(body, -1) {
		if !pageTags[strings.ToLower(m[1])] {
			t.Errorf("element <%s> not of the template", m[1])
		}
	}
	for i := strings.IndexByte(body, '&'); i >= 0; i = strings.IndexByte(body, '&') {
		if !entityRE.MatchString(body[i:]) {
			t.Errorf("raw '&' at %.40q", body[i:])
		}
		body = body[i+1:]
	}
	// Every '<' left is the template's (host text has none raw): its
	// attributes are the template's few, its links relative.
	for _, tag := range markupRE.FindAllString(page, -1) {
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			if !pageAttrs[strings.ToLower(m[1])] {
				t.Errorf("attribute %s in %q", m[1], tag)
			}
			if v := strings.ToLower(m[2]); strings.EqualFold(m[1], "href") && (strings.Contains(v, ":") || strings.HasPrefix(v, "/")) {
				t.Errorf("link %q is not relative", m[2])
			}
		}
	}
	if css := page[:strings.Index(page, "</style>")]; strings.Contains(css, "@import") || strings.Contains(css, "url(") {
		t.Error("the CSS loads something")
	}
}

var (
	markupRE  = regexp.MustCompile(`<[^>]*>`)
	attrRE    = regexp.MustCompile(`\s([A-Za-z-]+)="([^"]*)"`)
	pageAttrs = map[string]bool{"lang": true, "charset": true, "name": true, "content": true, "class": true, "href": true, "title": true}
)

// asJSON is s as the document carries it: encoding/json writes each byte
// that is not UTF-8 as U+FFFD.
func asJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

func hostilePage(t *testing.T, host, unit, dmiString, message string) string {
	t.Helper()
	doc, err := json.Marshal(map[string]any{
		"host": map[string]any{"hostname": host, "kernel_release": dmiString, "os": map[string]string{"pretty_name": message}},
		"dmi": map[string]any{"source": "tables", "system": map[string]string{"manufacturer": dmiString, "product_name": host},
			"bios": map[string]string{"vendor": dmiString}, "boot_status": message},
		"firmware": map[string]any{"mode": "uefi", "boot_current": "0001", "boot_entries": []map[string]string{{"id": "0001", "description": dmiString}}},
		"kmsg":     map[string]any{"problems": map[string]any{"oops": map[string]any{"count": 1, "last": map[string]any{"seconds": 1, "message": message}}}},
		"systemd": map[string]any{"source": "manager", "scope": "system", "failed_units": []string{unit},
			"blame": []map[string]any{{"unit": unit, "time_usec": 5}},
			"units": []map[string]any{{"name": unit, "last_failure": map[string]string{"result": message}}}},
		"history": map[string]any{"changes": []map[string]string{{"component": "kernel", "detail": message}}},
		"errors":  map[string]string{unit: message},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(doc)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := HTML(&b, r, PageOptions{Links: []Link{{Href: "metrics", Text: "Metrics"}}, SectionHref: func(s string) string { return "bootinfo/" + s }}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	checkPage(t, page)
	// The text the page shows holds each string, made printable.
	text := html.UnescapeString(page)
	for _, s := range []string{host, unit, dmiString, message} {
		// White space around a value may be trimmed; a blank one left out.
		p, trimmed := printable(asJSON(s)), printable(strings.TrimSpace(asJSON(s)))
		if trimmed != "" && !strings.Contains(text, p) && !strings.Contains(text, trimmed) {
			t.Errorf("the page does not show %q (as %q)", s, p)
		}
	}
	return page
}

// FuzzHTMLEscapes: markup, entities, quotes, control characters and
// bytes that are not UTF-8 in a hostname, a unit name, a DMI string or a
// kernel message come out as text, never as markup.
func FuzzHTMLEscapes(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", "a&b&amp;", `"onload="x`, "'><img src=x>", "\xff\xfe<\x00>", "]]><!--", "\u202e\u2028\x1b[31m"} {
		f.Add(s, "bad"+s+".service", s, "msg "+s)
	}
	f.Fuzz(func(t *testing.T, host, unit, dmiString, message string) {
		hostilePage(t, host, unit, dmiString, message)
	})
}

// TestHTMLHostile runs the fuzz seeds' kind of input, and checks the
// tags' text itself.
func TestHTMLHostile(t *testing.T) {
	page := hostilePage(t, "<b>host</b>", `x"><script>.service`, "Q&A \xff", "<img src=x onerror=alert(1)>")
	for _, want := range []string{"&lt;b&gt;host&lt;/b&gt;", "x&#34;&gt;&lt;script&gt;.service", "Q&amp;A \uFFFD", "&lt;img src=x onerror=alert(1)&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestHTMLTimelineSeam: the timeline, when given, is embedded as markup;
// without one the page has no figure.
func TestHTMLTimelineSeam(t *testing.T) {
	r := build(t, "healthy.json")
	var without, with bytes.Buffer
	if err := HTML(&without, r, PageOptions{}); err != nil {
		t.Fatal(err)
	}
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>a &amp; b</text></svg>`
	if err := HTML(&with, r, PageOptions{Timeline: writerTo(svg)}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without.String(), "<figure") || !strings.Contains(with.String(), `<figure class="timeline">`+svg+`</figure>`) {
		t.Errorf("timeline: without %v, with %v", strings.Contains(without.String(), "<figure"), strings.Contains(with.String(), svg))
	}
	checkPage(t, without.String())
}

type writerTo string

func (s writerTo) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, string(s))
	return int64(n), err
}
