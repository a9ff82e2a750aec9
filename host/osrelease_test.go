package host

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOSRelease(t *testing.T) {
	in := `# comment
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
HOME_URL='https://www.debian.org/'
QUOTED="a \"b\" \$c \\d"

`
	got, err := ParseOSRelease([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := OSRelease{
		ID: "debian", VersionID: "12", PrettyName: "Debian GNU/Linux 12 (bookworm)",
		All: map[string]string{
			"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)", "NAME": "Debian GNU/Linux",
			"VERSION_ID": "12", "ID": "debian", "HOME_URL": "https://www.debian.org/",
			"QUOTED": `a "b" $c \d`,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseOSReleaseMalformedKeepsTheRest(t *testing.T) {
	got, err := ParseOSRelease([]byte("ID=fedora\nthis is not an assignment\nVERSION_ID=\"39\nNAME=Fedora\n"))
	if err == nil {
		t.Fatal("no error for malformed lines")
	}
	if got.ID != "fedora" || got.All["NAME"] != "Fedora" {
		t.Errorf("valid lines lost: %+v", got)
	}
	if _, ok := got.All["VERSION_ID"]; ok {
		t.Errorf("unterminated quote accepted: %q", got.All["VERSION_ID"])
	}
	if got.PrettyName != "Linux" {
		t.Errorf("PrettyName default = %q, want Linux", got.PrettyName)
	}
}
