package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
)

// helpFlag matches a flag's name in kingpin's help: --name=..., --[no-]name.
var helpFlag = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--(\[no-\])?([a-z][a-z0-9.-]*)`)

// TestDeployedFlagsExist checks that every flag the DaemonSet and the
// systemd unit pass is one bootinfo serve accepts, so a renamed flag cannot
// leave the manifests crash-looping.
func TestDeployedFlagsExist(t *testing.T) {
	help, err := exec.Command(agent.Binary(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("bootinfo serve --help: %v\n%s", err, help)
	}
	known := map[string]bool{}
	for _, m := range helpFlag.FindAllStringSubmatch(string(help), -1) {
		known["--"+m[2]] = true
		if m[1] != "" {
			known["--no-"+m[2]] = true
		}
	}
	if !known["--path.sysfs"] || !known["--web.listen-address"] {
		t.Fatalf("could not read the flags from serve --help:\n%s", help)
	}

	ds := loadManifests(t).daemonSets[0]
	args := map[string][]string{"DaemonSet": ds.Spec.Template.Spec.Containers[0].Args}
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range parseUnit(t, unit)["Service"]["ExecStart"] {
		args["systemd unit"] = strings.Fields(v)[1:]
	}
	for where, a := range args {
		if len(a) == 0 || a[0] != "serve" {
			t.Errorf("%s: arguments %v do not start with serve", where, a)
			continue
		}
		for _, f := range a[1:] {
			if name, _, _ := strings.Cut(f, "="); !known[name] {
				t.Errorf("%s: bootinfo serve has no flag %s", where, name)
			}
		}
	}
}
