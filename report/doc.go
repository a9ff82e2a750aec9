// Package report turns bootinfo's JSON document into a person's view of
// the boot: the stages in the order they ran (firmware, hardware, boot
// loader, kernel, init, history), a one-line verdict for each, and the
// warnings first. It renders that view as text for a terminal and as one
// HTML page, and writes the document as YAML.
//
// It reads only the document's JSON, as /bootinfo serves it, so it knows
// nothing of how the sections were collected and imports no collector.
package report
