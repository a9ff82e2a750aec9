package collectors

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// textWriter writes samples in the Prometheus text format byte for byte as
// a registry's Gather and expfmt would write the same samples made into
// const metrics: families sorted by name, each family's samples by their
// label values, labels by name. It makes no prometheus.Metric and no
// dto.MetricFamily per sample, which for a collector with thousands of
// units (systemd's) was most of a scrape's memory and CPU.
type textWriter struct {
	fams map[*prometheus.Desc]*textFamily
	// last is the size of the text last written, a better guess of the
	// next one's than the estimate, for a writer used again (reset).
	last int
	// labels is an arena for the label values of one encoding's samples,
	// for a caller that makes them (reset empties it).
	labels labelArena

	// spare is the text of a block the block cache no longer needs (it
	// keeps the block compressed only), which the next Block writes in.
	spareMu sync.Mutex
	spare   []byte
}

// reset empties the writer for the next encoding, keeping its families'
// room for samples, its label arena and its spare text: a collector that
// encodes every second (systemd's, in a crash-loop storm) then grows none
// of it again, and makes no garbage the size of its text.
func (w *textWriter) reset() {
	for _, f := range w.fams {
		f.samples = f.samples[:0]
	}
	w.labels.reset()
}

// maxSpare is the largest text a writer keeps between two encodings, and
// maxArena the most label values its arena keeps room for. Kept room is
// live heap, which the collector's heap goal doubles: at 5,000 units
// (3 MB of systemd text, some 65,000 label values) keeping both raised
// the first sync's peak from 33.6 to 40.0 MiB, over its target; at 1,000
// units (600 KB) the room is kept, and a crash-loop storm's encoding every
// second makes no garbage the size of its text.
const (
	maxSpare = 1 << 20
	maxArena = 32 << 10
)

// recycle takes back the text of a block this writer made, once nothing
// reads it any more; the larger of two spares is kept, up to maxSpare.
func (w *textWriter) recycle(text []byte) {
	if cap(text) > maxSpare {
		return
	}
	w.spareMu.Lock()
	if cap(text) > cap(w.spare) {
		w.spare = text[:0]
	}
	w.spareMu.Unlock()
}

// labelArena hands out label value slices from large shared chunks. reset
// makes its room available again, once nothing holds the slices it handed
// out; the next round then takes them from one chunk as large as the last
// round needed (up to maxArena values; past that nothing is kept).
type labelArena struct {
	buf  []string
	n    int // values handed out since reset
	want int // values the last round handed out
}

// of returns a slice holding v, which it copies (so v need not escape).
func (a *labelArena) of(v ...string) []string {
	if cap(a.buf)-len(a.buf) < len(v) {
		a.buf = make([]string, 0, max(4096, len(v), a.want-a.n))
	}
	a.n += len(v)
	start := len(a.buf)
	a.buf = append(a.buf, v...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// reset lets the arena hand out its room again; the slices it handed out
// must no longer be used.
func (a *labelArena) reset() {
	a.want, a.n = a.n, 0
	if a.want > maxArena {
		// Too large to keep: each round allocates its chunks anew.
		a.want, a.buf = 0, nil
		return
	}
	if cap(a.buf) < a.want {
		a.buf = nil // the next round takes one chunk of a.want
		return
	}
	clear(a.buf) // hold no unit name of an old snapshot
	a.buf = a.buf[:0]
}

type textFamily struct {
	meta    *descMeta
	typ     prometheus.ValueType
	order   []int // label indexes, by label name
	samples []textSample
}

type textSample struct {
	labels []string // in the desc's order
	v      float64
}

func newTextWriter() *textWriter { return &textWriter{fams: map[*prometheus.Desc]*textFamily{}} }

// add records a sample of d, as constMetric would make it (label values
// made valid UTF-8 the same way).
func (w *textWriter) add(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	f := w.fams[d]
	if f == nil {
		m, ok := descMetas.Load(d)
		if !ok {
			panic("collectors: textWriter given a Desc that desc did not make")
		}
		f = &textFamily{meta: m.(*descMeta), typ: t}
		f.order = make([]int, len(f.meta.labels))
		for i := range f.order {
			f.order[i] = i
		}
		sort.SliceStable(f.order, func(i, j int) bool { return f.meta.labels[f.order[i]] < f.meta.labels[f.order[j]] })
		w.fams[d] = f
	}
	for i, l := range labels {
		if !utf8.ValidString(l) {
			labels = slices.Clone(labels)
			labels[i] = strings.ToValidUTF8(l, "\uFFFD")
		}
	}
	f.samples = append(f.samples, textSample{labels: labels, v: v})
}

// Block writes the families and returns them as a block (uncompressed).
func (w *textWriter) Block() *Block {
	fams := make([]*textFamily, 0, len(w.fams))
	for _, f := range w.fams {
		fams = append(fams, f)
	}
	sort.Slice(fams, func(i, j int) bool { return fams[i].meta.name < fams[j].meta.name })
	size := 0
	for _, f := range fams {
		size += len(f.meta.help) + 2*len(f.meta.name) + 32 + len(f.samples)*(len(f.meta.name)+24+16*len(f.meta.labels))
	}
	want := max(size, w.last+w.last/16)
	w.spareMu.Lock()
	spare := w.spare
	w.spare = nil
	w.spareMu.Unlock()
	var b bytes.Buffer
	if cap(spare) >= want {
		b = *bytes.NewBuffer(spare[:0])
	} else {
		b.Grow(want)
	}
	blk := &Block{Names: make([]string, 0, len(fams)), recycle: w.recycle}
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue // a family reset left without samples this time
		}
		f.write(&b)
		blk.Names = append(blk.Names, f.meta.name)
	}
	blk.Text = b.Bytes()
	w.last = b.Len()
	// The samples' room is kept for the next encoding, not the label
	// values they point to (a collector's arena of them).
	for _, f := range fams {
		clear(f.samples)
	}
	return blk
}

func (f *textFamily) write(b *bytes.Buffer) {
	// Samples mostly come in order (units sorted by name, each unit's
	// states in order): then checking is all the sorting there is.
	cmp := func(x, y textSample) int {
		for _, k := range f.order {
			if c := strings.Compare(x.labels[k], y.labels[k]); c != 0 {
				return c
			}
		}
		return 0
	}
	if !slices.IsSortedFunc(f.samples, cmp) {
		slices.SortFunc(f.samples, cmp)
	}
	b.WriteString("# HELP ")
	b.WriteString(f.meta.name)
	b.WriteByte(' ')
	writeEscaped(b, f.meta.help, false)
	b.WriteString("\n# TYPE ")
	b.WriteString(f.meta.name)
	if f.typ == prometheus.CounterValue {
		b.WriteString(" counter\n")
	} else {
		b.WriteString(" gauge\n")
	}
	var num []byte
	for _, s := range f.samples {
		b.WriteString(f.meta.name)
		if len(f.order) > 0 {
			b.WriteByte('{')
			for n, k := range f.order {
				if n > 0 {
					b.WriteByte(',')
				}
				b.WriteString(f.meta.labels[k])
				b.WriteString(`="`)
				writeEscaped(b, s.labels[k], true)
				b.WriteByte('"')
			}
			b.WriteByte('}')
		}
		b.WriteByte(' ')
		num = appendFloat(num[:0], s.v)
		b.Write(num)
		b.WriteByte('\n')
	}
}

// writeEscaped escapes as the text format does: backslash and newline,
// and in label values the double quote. Most strings need none, and are
// written whole.
func writeEscaped(b *bytes.Buffer, s string, quote bool) {
	special := "\\\n"
	if quote {
		special = "\\\n\""
	}
	for {
		i := strings.IndexAny(s, special)
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		switch s[i] {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '"':
			b.WriteString(`\"`)
		}
		s = s[i+1:]
	}
}

// appendFloat formats a sample value as expfmt does.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
