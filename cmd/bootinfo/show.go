package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/kmsg"
)

// show collects once and prints the document, or one section of it.
func show(stdout, stderr io.Writer, logger *slog.Logger, o options, section, format, unit string) int {
	if format == "svg" {
		return showPlot(stdout, stderr, logger, o, section)
	}
	if section != "" && !contains(enabledNames(o), section) {
		fmt.Fprintf(stderr, "bootinfo: no such section %q; sections: %s (a disabled collector's section can be enabled with --collector.NAME)\n",
			section, strings.Join(enabledNames(o), ", "))
		return 2
	}
	var only []string
	if section != "" {
		only = []string{section}
	}
	set := buildSet(logger, o, only...)
	var v any
	if unit != "" {
		if section != "systemd" {
			fmt.Fprintln(stderr, "bootinfo: --unit goes with the systemd section: bootinfo show systemd --unit NAME")
			return 2
		}
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		defer cancel()
		d, err := set.Query(ctx, "systemd", "units/"+unit, nil)
		if err != nil {
			fmt.Fprintf(stderr, "bootinfo: %v\n", err)
			return 1
		}
		return printValue(stdout, stderr, d, format)
	}
	outcomes := set.Gather(context.Background())
	if section != "" {
		code, body := sectionResult(outcomes[0])
		if code != 200 {
			fmt.Fprintf(stderr, "bootinfo: section %s: %v\n", section, outcomes[0].Err)
			return 1
		}
		v = body
	} else {
		v = collectors.NewDocument(outcomes)
	}
	if format == "text" {
		if err := writeReport(stdout, v, section); err != nil {
			fmt.Fprintf(stderr, "bootinfo: %v\n", err)
			return 1
		}
		return 0
	}
	return printValue(stdout, stderr, v, format)
}

func printValue(stdout, stderr io.Writer, v any, format string) int {
	var err error
	switch format {
	case "text":
		if tv, ok := v.(collectors.TextViewer); ok {
			v = tv.TextView()
		}
		err = writeText(stdout, v)
	case "yaml":
		err = writeYAML(stdout, v)
	default:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(v)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bootinfo: %v\n", err)
		return 1
	}
	return 0
}

// writeText prints v as an indented outline: "key: value" lines, nested
// objects indented, list items marked with "-". It walks the JSON encoding's
// tokens so fields keep the order the sections define.
func writeText(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	if err := textValue(&out, dec, 0, ""); err != nil {
		return err
	}
	_, err = w.Write(out.Bytes())
	return err
}

// textValue prints the next JSON value. prefix is what stands before it on
// its line ("key:" or "-"), printed by the caller for scalars.
func textValue(out *bytes.Buffer, dec *json.Decoder, depth int, prefix string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	indent := strings.Repeat("  ", depth)
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			if !dec.More() {
				_, _ = dec.Token()
				fmt.Fprintf(out, "%s%s {}\n", indent, prefix)
				return nil
			}
			inner := depth
			if prefix != "" {
				fmt.Fprintf(out, "%s%s\n", indent, prefix)
				inner++
			}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				if err := textValue(out, dec, inner, fmt.Sprintf("%v:", kt)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case '[':
			if !dec.More() {
				_, _ = dec.Token()
				fmt.Fprintf(out, "%s%s []\n", indent, prefix)
				return nil
			}
			fmt.Fprintf(out, "%s%s\n", indent, prefix)
			for dec.More() {
				if err := textValue(out, dec, depth+1, "-"); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
	case string:
		if t == "" {
			t = `""`
		}
		// Host input (kernel messages, pstore text, firmware strings)
		// reaches a terminal here: control bytes print as \xNN, as
		// dmesg prints them.
		fmt.Fprintf(out, "%s%s %s\n", indent, prefix, kmsg.Printable(t))
	case nil:
		fmt.Fprintf(out, "%s%s null\n", indent, prefix)
	default:
		fmt.Fprintf(out, "%s%s %v\n", indent, prefix, t)
	}
	return nil
}
