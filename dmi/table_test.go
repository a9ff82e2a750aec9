package dmi

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/dmi/internal/dmitest"
)

// TestWalkMatchesOracle checks that the walk finds exactly the structures
// dmidecode 3.4 printed a "Handle" line for.
func TestWalkMatchesOracle(t *testing.T) {
	for _, p := range dmitest.Dumps(t) {
		name := strings.TrimSuffix(filepath.Base(p), ".bin")
		t.Run(name, func(t *testing.T) {
			tb, err := ParseDumpBin(dmitest.ReadFile(t, p))
			if tb == nil {
				t.Fatalf("ParseDumpBin: %v", err)
			}
			oracle := dmitest.ReadFile(t, strings.TrimSuffix(p, ".bin")+".dmidecode.txt")
			var want []string
			for _, l := range strings.Split(string(oracle), "\n") {
				if strings.HasPrefix(l, "Handle ") {
					want = append(want, l)
				}
			}
			var got []string
			for _, s := range tb.Structures {
				got = append(got, handleLine(&s))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("structures differ: got %d, want %d (err %v)", len(got), len(want), err)
			}
			stderr, _ := os.ReadFile(strings.TrimSuffix(p, ".bin") + ".dmidecode.stderr")
			if broken := bytes.Contains(stderr, []byte("DMI table is broken")); broken != errors.Is(err, ErrBrokenTable) {
				t.Errorf("err = %v, dmidecode stderr %q", err, stderr)
			}
		})
	}
}

func handleLine(s *Structure) string {
	return "Handle 0x" + strings.ToUpper(hex4(s.Handle)) + ", DMI type " + itoa(s.Type) + ", " + itoa(s.DeclaredLength) + " bytes"
}

func hex4(v uint16) string {
	const d = "0123456789abcdef"
	return string([]byte{d[v>>12], d[v>>8&15], d[v>>4&15], d[v&15]})
}
