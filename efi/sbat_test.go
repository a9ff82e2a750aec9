package efi

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseSbatLevel(t *testing.T) {
	latest := &SbatLevel{Version: "1", Date: "2023012900", Components: []SbatComponent{{"shim", 2}, {"grub", 3}, {"grub.debian", 4}}}
	for _, tt := range []struct {
		name string
		in   string
		want *SbatLevel // nil: none
		err  string     // in the error; "" for none
	}{
		{"shim's payload", "sbat,1,2023012900\nshim,2\ngrub,3\ngrub.debian,4\n", latest, ""},
		{"no final newline", "sbat,1,2023012900\nshim,2\ngrub,3\ngrub.debian,4", latest, ""},
		{"NUL terminated", "sbat,1,2023012900\nshim,2\ngrub,3\ngrub.debian,4\n\x00", latest, ""},
		{"CRLF and blanks", "\r\nsbat, 1 ,2023012900\r\n\r\n shim,2\r\ngrub ,3\r\ngrub.debian,4\r\n", latest, ""},
		{"extra fields", "sbat,1,2023012900,x\nshim,2,ignored\ngrub,3\ngrub.debian,4\n", latest, ""},
		{"no revocations", "sbat,1,2021030218\n", &SbatLevel{Version: "1", Date: "2021030218", Components: []SbatComponent{}}, ""},
		{"no date", "sbat,1\ngrub,3\n", &SbatLevel{Version: "1", Components: []SbatComponent{{"grub", 3}}}, ""},
		{"bad records", "sbat,1,2024010900\nshim\ngrub,x\nshim,4\n,5\ngrub,-1\ngrub,99999999999\n", &SbatLevel{Version: "1", Date: "2024010900", Components: []SbatComponent{{"shim", 4}}},
			`line 2: "shim", want component,generation: malformed data (and 4 more problems)`},
		{"data after the NUL", "sbat,1,2022111500\ngrub,3\n\x00junk", &SbatLevel{Version: "1", Date: "2022111500", Components: []SbatComponent{{"grub", 3}}}, "4 bytes after the NUL"},
		{"not SBAT", "grub,3\nsbat,1,2022111500\n", nil, `line 1: "grub,3", want sbat,VERSION,DATE first`},
		{"no version", "sbat,,2022111500\n", nil, "want sbat,VERSION,DATE first"},
		{"empty", "", nil, "holds no sbat,VERSION,DATE record"},
		{"only NULs", "\x00\x00", nil, "holds no sbat,VERSION,DATE record"},
		{"long junk line", strings.Repeat("x", 10000), nil, `"` + strings.Repeat("x", 64) + `"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSbatLevel([]byte(tt.in))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("level %+v, want %+v", got, tt.want)
			}
			if tt.err == "" {
				if err != nil {
					t.Errorf("error %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one wrapping ErrMalformed with %q", err, tt.err)
			}
		})
	}
}
