package dmidecode

import (
	"bufio"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bootinfo/bootinfo/dmi"
)

type keyword struct {
	name   string
	typ    uint8
	offset int
}

// keywords are dmidecode's -s keywords, in its order.
var keywords = []keyword{
	{"bios-vendor", 0, 0x04}, {"bios-version", 0, 0x05}, {"bios-release-date", 0, 0x08},
	{"bios-revision", 0, 0x15}, {"firmware-revision", 0, 0x17},
	{"system-manufacturer", 1, 0x04}, {"system-product-name", 1, 0x05}, {"system-version", 1, 0x06},
	{"system-serial-number", 1, 0x07}, {"system-uuid", 1, 0x08}, {"system-sku-number", 1, 0x19},
	{"system-family", 1, 0x1A},
	{"baseboard-manufacturer", 2, 0x04}, {"baseboard-product-name", 2, 0x05}, {"baseboard-version", 2, 0x06},
	{"baseboard-serial-number", 2, 0x07}, {"baseboard-asset-tag", 2, 0x08},
	{"chassis-manufacturer", 3, 0x04}, {"chassis-type", 3, 0x05}, {"chassis-version", 3, 0x06},
	{"chassis-serial-number", 3, 0x07}, {"chassis-asset-tag", 3, 0x08},
	{"processor-family", 4, 0x06}, {"processor-manufacturer", 4, 0x07}, {"processor-version", 4, 0x10},
	{"processor-frequency", 4, 0x16},
}

// Keywords returns the keywords -s accepts, in dmidecode's order.
func Keywords() []string {
	out := make([]string, len(keywords))
	for i, k := range keywords {
		out[i] = k.name
	}
	return out
}

// typeKeywords are dmidecode's -t keywords, in its order, with the types
// each selects.
var typeKeywords = []struct {
	name  string
	types []int
}{
	{"bios", []int{0, 13}},
	{"system", []int{1, 12, 15, 23, 32}},
	{"baseboard", []int{2, 10, 41}},
	{"chassis", []int{3}},
	{"processor", []int{4}},
	{"memory", []int{5, 6, 16, 17}},
	{"cache", []int{7}},
	{"connector", []int{8}},
	{"slot", []int{9}},
}

// TypeKeywords returns the keywords -t accepts, in dmidecode's order (for
// the "Valid type keywords are:" list).
func TypeKeywords() []string {
	out := make([]string, len(typeKeywords))
	for i, k := range typeKeywords {
		out[i] = k.name
	}
	return out
}

// typesOf returns the types keyword kw selects, and whether it is one.
func typesOf(kw string) ([]int, bool) {
	kw = strings.ToLower(kw)
	for _, k := range typeKeywords {
		if k.name == kw {
			return k.types, true
		}
	}
	return nil, false
}

// ParseTypes turns -t arguments (keywords, numbers, comma-separated lists of
// numbers) into a sorted list of structure types. No arguments give nil,
// which Options.Types reads as "all types".
func ParseTypes(args []string) ([]int, error) {
	if len(args) == 0 {
		return nil, nil
	}
	seen := map[int]bool{}
	for _, a := range args {
		if ts, ok := typesOf(a); ok {
			for _, t := range ts {
				seen[t] = true
			}
			continue
		}
		for _, f := range strings.FieldsFunc(a, func(r rune) bool { return r == ',' || r == ' ' }) {
			n, err := strconv.ParseUint(f, 0, 8)
			if err != nil {
				return nil, fmt.Errorf("%w: invalid type keyword: %s", ErrUsage, a)
			}
			seen[int(n)] = true
		}
	}
	out := make([]int, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Ints(out)
	return out, nil
}

func findKeyword(name string) (keyword, bool) {
	for _, k := range keywords {
		if k.name == name {
			return k, true
		}
	}
	return keyword{}, false
}

// String returns what "dmidecode -s keyword" prints for t, without the final
// newline (one line per matching structure, e.g. per processor).
func String(t *dmi.Table, kw string) (string, error) {
	var sb strings.Builder
	bw := bufio.NewWriter(&sb)
	if err := writeString(bw, t, kw); err != nil {
		return "", err
	}
	bw.Flush()
	return strings.TrimSuffix(sb.String(), "\n"), nil
}

func writeString(w *bufio.Writer, t *dmi.Table, kw string) error {
	k, ok := findKeyword(kw)
	if !ok {
		return fmt.Errorf("%w: invalid string keyword: %s", ErrUsage, kw)
	}
	ver := t.Version.Uint()
	for i := range t.Structures {
		s := &t.Structures[i]
		if s.Type == 127 {
			break
		}
		if s.Type != k.typ || k.offset >= int(s.Length) {
			continue
		}
		off := k.offset
		switch int(k.typ)<<8 | off {
		case 0x015, 0x017:
			if s.U8(off-1) != 0xFF && s.U8(off) != 0xFF {
				fmt.Fprintf(w, "%d.%d\n", s.U8(off-1), s.U8(off))
			}
		case 0x108:
			if off+16 <= int(s.Length) {
				fmt.Fprintf(w, "%s\n", uuid(dmi.FormatUUID(s.Raw[off:off+16], t.Version)))
			}
		case 0x305:
			fmt.Fprintf(w, "%s\n", dmi.ChassisTypeName(s.U8(off)))
		case 0x406:
			fmt.Fprintf(w, "%s\n", processorFamily(s, ver))
		case 0x416:
			fmt.Fprintf(w, "%s\n", freq(s.U16(off)))
		default:
			fmt.Fprintf(w, "%s\n", s.String(s.U8(off)))
		}
	}
	return nil
}
