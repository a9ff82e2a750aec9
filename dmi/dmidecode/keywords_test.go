package dmidecode

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTypes(t *testing.T) {
	tests := []struct {
		args []string
		want []int
		err  bool
	}{
		{[]string{"memory"}, []int{5, 6, 16, 17}, false},
		{[]string{"bios", "4"}, []int{0, 4, 13}, false},
		{[]string{"17,19", "0x20"}, []int{17, 19, 32}, false},
		{[]string{"SYSTEM"}, []int{1, 12, 15, 23, 32}, false},
		{[]string{"baseboard"}, []int{2, 10, 41}, false},
		{nil, nil, false},
		{[]string{"foo"}, nil, true},
		{[]string{"256"}, nil, true},
	}
	for _, tc := range tests {
		got, err := ParseTypes(tc.args)
		if (err != nil) != tc.err || tc.err && !errors.Is(err, ErrUsage) {
			t.Errorf("ParseTypes(%q) err = %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); !tc.err && diff != "" {
			t.Errorf("ParseTypes(%q) (-want +got):\n%s", tc.args, diff)
		}
	}
	for _, kw := range TypeKeywords() {
		if _, err := ParseTypes([]string{kw}); err != nil {
			t.Errorf("keyword %q: %v", kw, err)
		}
	}
}
