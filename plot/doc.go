// Package plot draws the boot timeline as SVG: the boot phases from the
// service manager's timestamps (firmware, loader, kernel, initrd, userspace,
// as systemd-analyze time counts them), the slowest units' activation spans
// (as systemd-analyze plot draws them, with the times systemd-analyze blame
// prints) and the kernel's boot milestones from its log.
//
// The picture is one self-contained <svg> element: no script, no external
// reference, no XML prolog, no id attributes and no style sheet, so that it
// is valid both as a file of its own (image/svg+xml) and inlined into an
// HTML page, where its viewBox lets it shrink to the page's width. Every
// string that comes from the host (unit names, kernel messages) is escaped;
// a string that is not UTF-8 or holds characters XML cannot carry has them
// replaced with U+FFFD.
//
// The numbers are in the markup, exact, for programs and tests: every phase,
// unit and milestone is a <g> with data-*-usec attributes (microseconds on
// the picture's clock, see Input) and a <title> with the times as
// systemd-analyze formats them.
package plot
