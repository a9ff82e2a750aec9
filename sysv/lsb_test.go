package sysv

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Header
		wantErr error
		errHas  string
	}{{
		name: "full",
		in: "#!/bin/sh\n# copyright\n### BEGIN INIT INFO  \n# Provides:          ssh sshd\n" +
			"# Required-Start:    $remote_fs $syslog\n# Required-Stop:     $remote_fs\n" +
			"# Should-Start:      $network\n# Should-Stop:       $network\n" +
			"# X-Start-Before:    nis\n# X-Stop-After:      nis\n# X-Interactive:     true\n" +
			"# Default-Start:     2 3 4 5\n# Default-Stop:      0 1 6\n" +
			"# Short-Description: OpenBSD Secure Shell server\n" +
			"# Description:       The secure shell\n#                    server,\n#\tfor real.\n" +
			"### END INIT INFO\t\n# Provides: late\n",
		want: Header{
			Provides: []string{"ssh", "sshd"}, RequiredStart: []string{"$remote_fs", "$syslog"},
			RequiredStop: []string{"$remote_fs"}, ShouldStart: []string{"$network"}, ShouldStop: []string{"$network"},
			StartBefore: []string{"nis"}, StopAfter: []string{"nis"}, Interactive: true,
			DefaultStart: []string{"2", "3", "4", "5"}, DefaultStop: []string{"0", "1", "6"},
			ShortDescription: "OpenBSD Secure Shell server", Description: "The secure shell\nserver,\nfor real.",
		},
	}, {
		name: "continuation ends at the next keyword; one space is not one",
		in: "### BEGIN INIT INFO\r\n# Description: a\r\n#  b\r\n# not a keyword\r\n#   c\r\n" +
			"# default-start: S s 2 2\r\n#  d\r\n### END INIT INFO\r\n",
		want: Header{Description: "a\nb\nc", DefaultStart: []string{"S", "2"}},
	}, {
		name: "empty values, unknown keywords",
		in:   "### BEGIN INIT INFO\n# Provides: x\n# Default-Stop:\n# X-Debian-Foo: bar\n# Future-Keyword: y\n### END INIT INFO\n",
		want: Header{Provides: []string{"x"}},
	}, {
		name:    "no header",
		in:      "#!/bin/sh\necho hi\n",
		wantErr: ErrNoHeader,
	}, {
		name:    "an indented delimiter does not count",
		in:      " ### BEGIN INIT INFO\n# Provides: x\n ### END INIT INFO\n",
		wantErr: ErrNoHeader,
	}, {
		name:    "not closed keeps what it read",
		in:      "### BEGIN INIT INFO\n# Provides: x\n# Default-Start: 2\n",
		want:    Header{Provides: []string{"x"}, DefaultStart: []string{"2"}},
		wantErr: ErrMalformed, errHas: "### END INIT INFO",
	}, {
		name:    "bad runlevel",
		in:      "### BEGIN INIT INFO\n# Provides: x\n# Default-Start: 2 3 multi-user\n### END INIT INFO\n",
		want:    Header{Provides: []string{"x"}, DefaultStart: []string{"2", "3"}},
		wantErr: ErrMalformed, errHas: `line 3: Default-Start: "multi-user" is not a runlevel`,
	}, {
		name:    "twice: the last counts",
		in:      "### BEGIN INIT INFO\n# Default-Start: 2\n# Default-Start: 3\n### END INIT INFO\n",
		want:    Header{DefaultStart: []string{"3"}},
		wantErr: ErrMalformed, errHas: "line 3: Default-Start given twice",
	}, {
		name:    "not a comment",
		in:      "### BEGIN INIT INFO\n# Provides: x\nProvides: y\n### END INIT INFO\n",
		want:    Header{Provides: []string{"x"}},
		wantErr: ErrMalformed, errHas: "line 3: not a comment",
	}, {
		name: "short description falls back nowhere: that is List's job",
		in:   "### BEGIN INIT INFO\n# Description: long\n### END INIT INFO\n",
		want: Header{Description: "long"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHeader([]byte(tt.in))
			if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not say %q", err, tt.errHas)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
}
