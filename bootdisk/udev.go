package bootdisk

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// ParseUdevDB returns the properties (E: lines) of a udev database record,
// /run/udev/data/bMAJ:MIN: the ID_PART_TABLE_* keys of a disk and the
// ID_PART_ENTRY_* keys of a partition that udev's blkid builtin recorded.
// Other record lines (S: symlinks, G: tags, ...) are ignored.
func ParseUdevDB(b []byte) map[string]string {
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		kv, ok := strings.CutPrefix(sc.Text(), "E:")
		if !ok {
			continue
		}
		if k, v, ok := strings.Cut(kv, "="); ok {
			props[k] = v
		}
	}
	return props
}

// udevUnescape undoes blkid's encoding of ID_PART_ENTRY_NAME and labels:
// bytes outside safe ASCII are written \xHH.
func udevUnescape(s string) string {
	if !strings.Contains(s, `\x`) {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}
