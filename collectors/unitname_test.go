package collectors

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/promslog"
)

// unitNames are names systemd's unit_name_is_valid(PLAIN|INSTANCE)
// accepts (true) or refuses (false); test/e2e checks them against a real
// manager.
var unitNames = map[string]bool{
	"web.service":                         true,
	"getty@tty1.service":                  true,
	"dev-disk-by\\x2duuid-1234.device":    true,
	"a:b_c-d.e.timer":                     true,
	"systemd-fsck@dev-sda1.service":       true,
	"x@y@z.socket":                        true,
	strings.Repeat("a", 247) + ".service": true, // 255 bytes
	strings.Repeat("a", 248) + ".service": false,
	"a\x00.service":                       false,
	"\xff.service":                        false,
	"a b.service":                         false,
	"ünicode.service":                     false,
	"foo@.service":                        false,
	"@foo.service":                        false,
	"foo":                                 false,
	".service":                            false,
	"foo.nosuchtype":                      false,
	"foo.service\n":                       false,
	"a%00.service":                        false,
}

func TestCheckUnitName(t *testing.T) {
	for name, valid := range unitNames {
		err := CheckUnitName(name)
		if (err == nil) != valid {
			t.Errorf("CheckUnitName(%q) = %v, want valid %v", name, err, valid)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\x00\n") {
			t.Errorf("error for %q carries raw control bytes: %q", name, err)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("error for a %d-byte name is %d bytes long", len(name), len(err.Error()))
		}
	}
}

// TestSystemdQueryRefusesBadNames: a name systemd would refuse is a bad
// request, answered without a connection to the manager (here there is
// none to be had); a valid name goes on to the manager.
func TestSystemdQueryRefusesBadNames(t *testing.T) {
	c, err := NewSystemdCollector(Config{Logger: promslog.NewNopLogger(), Systemd: SystemdConfig{
		Address: "unix:path=" + t.TempDir() + "/no-manager", Timeout: time.Second, Include: ".+", Exclude: "^$",
	}})
	if err != nil {
		t.Fatal(err)
	}
	q := c.(Querier)
	for name, valid := range unitNames {
		_, err := q.Query(context.Background(), "units/"+name, nil)
		if bad := errors.Is(err, ErrBadRequest); bad == valid {
			t.Errorf("units/%q: %v; want a bad request: %v", name, err, !valid)
		}
	}
}
