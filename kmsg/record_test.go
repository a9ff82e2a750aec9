package kmsg

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Record
		err  error
	}{{
		name: "plain record as read(2) returns it",
		in:   "6,339,5140900,-;NET: Registered protocol family 10\n",
		want: Record{Facility: FacilityKern, Level: LevelInfo, Seq: 339, TimestampUsec: 5140900, Flag: '-', Message: "NET: Registered protocol family 10"},
	}, {
		name: "dictionary lines from the ABI document",
		in:   "7,160,424069,-;pci_root PNP0A03:00: host bridge window [io  0x0000-0x0cf7] (ignored)\n SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A03:00\n",
		want: Record{Level: LevelDebug, Seq: 160, TimestampUsec: 424069, Flag: '-',
			Message: "pci_root PNP0A03:00: host bridge window [io  0x0000-0x0cf7] (ignored)",
			Dict:    map[string]string{"SUBSYSTEM": "acpi", "DEVICE": "+acpi:PNP0A03:00"}},
	}, {
		name: "continuation flag",
		in:   "4,141,614166,c; #2\n",
		want: Record{Level: LevelWarning, Seq: 141, TimestampUsec: 614166, Flag: 'c', Message: " #2"},
	}, {
		name: "continued flag of old kernels",
		in:   "4,141,614166,+;part one\n",
		want: Record{Level: LevelWarning, Seq: 141, TimestampUsec: 614166, Flag: '+', Message: "part one"},
	}, {
		name: "caller id and an unknown future field",
		in:   "6,2933,163898434,-,caller=C123456,newfield=7;perf: interrupt took too long (4011 > 3898)\n",
		want: Record{Level: LevelInfo, Seq: 2933, TimestampUsec: 163898434, Flag: '-', Caller: "C123456", Message: "perf: interrupt took too long (4011 > 3898)"},
	}, {
		name: "unknown field before caller",
		in:   "6,1,2,-,x=y,caller=T1;m",
		want: Record{Level: LevelInfo, Seq: 1, TimestampUsec: 2, Flag: '-', Caller: "T1", Message: "m"},
	}, {
		name: "escapes: tab, newline, backslash, high byte; broken escapes stay literal",
		in:   `6,142,166469,-;rcu: \x09RCU \x5c_SB_ a\x0ab \xc3\xa9 \x4 \xzz \` + "\n",
		want: Record{Level: LevelInfo, Seq: 142, TimestampUsec: 166469, Flag: '-', Message: "rcu: \tRCU \\_SB_ a\nb é \\x4 \\xzz \\"},
	}, {
		name: "user space facility and a semicolon in the text",
		in:   "30,832,10441520,-;systemd[1]: a; b\n",
		want: Record{Facility: FacilityDaemon, Level: LevelInfo, Seq: 832, TimestampUsec: 10441520, Flag: '-', Message: "systemd[1]: a; b"},
	}, {
		name: "escaped dictionary value",
		in:   "6,1,1,-;m\n DEVICE=n8\\x0a\n",
		want: Record{Level: LevelInfo, Seq: 1, TimestampUsec: 1, Flag: '-', Message: "m", Dict: map[string]string{"DEVICE": "n8\n"}},
	}, {
		name: "largest sequence and timestamp",
		in:   "191,18446744073709551615,18446744073709551615,-;x",
		want: Record{Facility: 23, Level: 7, Seq: 1<<64 - 1, TimestampUsec: 1<<64 - 1, Flag: '-', Message: "x"},
	}, {
		name: "empty message",
		in:   "6,5,5,-;\n",
		want: Record{Level: LevelInfo, Seq: 5, TimestampUsec: 5, Flag: '-'},
	}, {
		name: "no semicolon",
		in:   "6,5,5,-\n",
		err:  ErrMalformed,
	}, {
		name: "too few header fields",
		in:   "6,5;x",
		err:  ErrMalformed,
	}, {
		name: "priority not a number",
		in:   "x,5,5,-;x",
		err:  ErrMalformed,
	}, {
		name: "negative sequence",
		in:   "6,-5,5,-;x",
		err:  ErrMalformed,
	}, {
		name: "sequence overflows 64 bits",
		in:   "6,18446744073709551616,5,-;x",
		err:  ErrMalformed,
	}, {
		name: "priority beyond the kernel's range",
		in:   "1024,1,5,-;x",
		err:  ErrMalformed,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRecord([]byte(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseRecord(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if tt.err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRecord(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestNames(t *testing.T) {
	want := []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
		"facility12", "facility13", "facility14", "facility15",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7", "facility24"}
	for i, w := range want {
		if got := Facility(i).String(); got != w {
			t.Errorf("Facility(%d) = %q, want %q", i, got, w)
		}
	}
	for i, w := range []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"} {
		if got := Level(i).String(); got != w {
			t.Errorf("Level(%d) = %q, want %q", i, got, w)
		}
		if l, ok := ParseLevel(w); !ok || l != Level(i) {
			t.Errorf("ParseLevel(%q) = %v, %v", w, l, ok)
		}
	}
}

func TestRecordJSON(t *testing.T) {
	in := Record{Facility: FacilityDaemon, Level: LevelWarning, Seq: 9, TimestampUsec: 1500, Flag: FlagContinuation,
		Caller: "T1", Message: "a\nb", Dict: map[string]string{"SUBSYSTEM": "usb"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"facility":"daemon","level":"warning","seq":9,"timestamp_usec":1500,"flag":"c","caller":"T1","message":"a\nb","dict":{"SUBSYSTEM":"usb"}}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	var out Record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"facility":"nope"}`, `{"level":"loud"}`, `{"flag":"ab"}`} {
		if err := json.Unmarshal([]byte(bad), &out); !errors.Is(err, ErrMalformed) {
			t.Errorf("Unmarshal(%s) = %v, want ErrMalformed", bad, err)
		}
	}
	var f Facility
	if err := f.UnmarshalText([]byte("facility13")); err != nil || f != 13 {
		t.Errorf("facility13 = %v, %v", f, err)
	}
}
