package kmsg

import (
	"strings"
	"testing"

	"github.com/euank/go-kmsg-parser/v3/kmsgparser"
	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
)

// TestLiveAgreesWithGoKmsgParser reads this machine's /dev/kmsg twice, with
// bootinfo's reader and with github.com/euank/go-kmsg-parser, after
// writing a fresh record as facility user with characters the kernel
// escapes. For every record both read, the sequence number, facility
// (its Priority>>3), level and text must agree. go-kmsg-parser keeps the
// text as the kernel sent it (\xNN escapes, then the " KEY=value"
// dictionary lines), so bootinfo's decoded message and dictionary are
// escaped again to compare.
func TestLiveAgreesWithGoKmsgParser(t *testing.T) {
	requireRoot(t)
	tok := token(t)
	marker := "bootinfo-kmsgparser-test: " + tok + " tab\there back\\slash caf\u00e9"
	writeKmsg(t, "<13>"+marker+"\n")

	ours := readAll(t, openLive(t, OpenOptions{}))

	p, err := kmsgparser.NewParser(kmsgparser.WithNoFollow())
	if err != nil {
		testutil.SkipOrFail(t, "go-kmsg-parser cannot open /dev/kmsg: %v", err)
	}
	defer p.Close()
	msgs := make(chan kmsgparser.Message)
	done := make(chan error, 1)
	go func() { done <- p.Parse(msgs) }()
	theirs := map[uint64]kmsgparser.Message{}
	for m := range msgs {
		theirs[uint64(m.SequenceNumber)] = m
	}
	if err := <-done; err != nil {
		t.Fatalf("go-kmsg-parser: %v", err)
	}

	type view struct {
		Facility, Level int
		Message         string
		Dict            map[string]string
	}
	compared, sawMarker := 0, false
	for _, r := range ours {
		m, ok := theirs[r.Seq]
		if !ok {
			continue // logged or overwritten between the two reads
		}
		compared++
		want := view{Facility: m.Priority >> 3, Level: m.Priority & 7}
		lines := strings.Split(strings.TrimSuffix(m.Message, "\n"), "\n")
		want.Message = lines[0]
		for _, l := range lines[1:] {
			k, v, _ := strings.Cut(strings.TrimPrefix(l, " "), "=")
			if want.Dict == nil {
				want.Dict = map[string]string{}
			}
			want.Dict[k] = v
		}
		got := view{Facility: int(r.Facility), Level: int(r.Level), Message: string(appendEscaped(nil, r.Message))}
		for k, v := range r.Dict {
			if got.Dict == nil {
				got.Dict = map[string]string{}
			}
			got.Dict[k] = string(appendEscaped(nil, v))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("record %d: go-kmsg-parser (-) and bootinfo (+) disagree:\n%s", r.Seq, diff)
		}
		if r.Message == marker {
			sawMarker = true
			if r.Facility != FacilityUser || r.Level != LevelNotice {
				t.Errorf("marker read as facility %v level %v, want user notice", r.Facility, r.Level)
			}
		}
	}
	if !sawMarker {
		t.Errorf("the record written (%q) is not among the %d records both readers read", marker, compared)
	}
	t.Logf("%d records compared (bootinfo read %d, go-kmsg-parser %d)", compared, len(ours), len(theirs))
}
