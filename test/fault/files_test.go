package fault

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
)

// kernels are the kernel images testdata/grub.cfg boots.
var kernels = []string{"6.1.0-27-amd64", "6.1.0-26-amd64"}

// fixtureRoot is agent.FixtureRoot plus a GRUB configuration and its
// kernels, so that the bootloader collector has files to lose too.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	root := agent.FixtureRoot(t)
	cfg, err := os.ReadFile(filepath.Join("testdata", "grub.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "boot", "grub", "grub.cfg"), cfg)
	for _, k := range kernels {
		write(t, filepath.Join(root, "boot", "vmlinuz-"+k), []byte("kernel image"))
		write(t, filepath.Join(root, "boot", "initrd.img-"+k), []byte("initrd"))
	}
	return root
}

// write replaces path with a regular file holding b, creating its
// directory. A symbolic link at path (FixtureRoot links the shared corpus)
// is replaced, never written through.
func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mutation changes one file or directory of a fixture root the way a
// running host can: removed, emptied, cut in half, overwritten with junk,
// or replaced by a directory.
type mutation struct {
	name string
	path string // relative to the root
	do   func(t *testing.T, p string)
}

func removed(t *testing.T, p string) {
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
}

func emptied(t *testing.T, p string) { write(t, p, nil) }

func junk(t *testing.T, p string) { write(t, p, []byte("\x00\xff junk \xfe\n")) }

// halved truncates a file to half its length (reading through a link to
// the shared corpus, writing a file of its own).
func halved(t *testing.T, p string) {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	write(t, p, b[:len(b)/2])
}

func directory(t *testing.T, p string) {
	removed(t, p)
	if err := os.MkdirAll(filepath.Join(p, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
}

var (
	efivars   = "sys/firmware/efi/efivars"
	globalVar = func(name string) string { return efivars + "/" + name + "-8be4df61-93ca-11d2-aa0d-00e098032b8c" }
	dmiTables = "sys/firmware/dmi/tables"
	kinds     = []struct {
		name string
		do   func(*testing.T, string)
	}{{"removed", removed}, {"emptied", emptied}, {"halved", halved}, {"junk", junk}, {"directory", directory}}
	mutatedFiles = []string{
		globalVar("SecureBoot"), globalVar("BootOrder"), globalVar("BootCurrent"), globalVar("Boot0000"),
		"sys/firmware/efi/fw_platform_size",
		dmiTables + "/DMI", dmiTables + "/smbios_entry_point",
		"proc/uptime", "proc/cmdline", "proc/stat", "proc/sys/kernel/hostname", "proc/sys/kernel/random/boot_id",
		"proc/sys/kernel/osrelease",
		"etc/os-release", "etc/machine-id",
		"boot/grub/grub.cfg", "boot/vmlinuz-6.1.0-27-amd64",
	}
	mutatedDirs = []string{efivars, "sys/firmware/efi", dmiTables, "boot/grub", "boot"}
)

// mutations lists every kind of change to every file and directory the
// tests break.
func mutations() []mutation {
	var out []mutation
	for _, f := range mutatedFiles {
		for _, k := range kinds {
			out = append(out, mutation{name: k.name + " " + f, path: f, do: k.do})
		}
	}
	for _, d := range mutatedDirs {
		out = append(out, mutation{name: "removed " + d, path: d, do: removed})
	}
	return out
}

// rereadLive are the files a running agent reads again on every scrape
// and reports: the EFI variables with --collector.firmware.refresh=1ns and
// the uptime. Facts of the boot (DMI, os-release, the command line) are
// read once, the boot loader's files once a minute, and a host name that
// cannot be read again leaves the one read at start, without an error.
var rereadLive = map[string]bool{
	globalVar("SecureBoot"): true, globalVar("BootOrder"): true, globalVar("BootCurrent"): true, globalVar("Boot0000"): true,
	"sys/firmware/efi/fw_platform_size": true, "proc/uptime": true, efivars: true,
}

// TestFilesChangeUnderScrapes mutates the fixture root of a running agent,
// file by file, while a loop scrapes /metrics and /bootinfo: every scrape
// answers 200 with a document that parses, and nothing panics. A file the
// agent reads again on every scrape is then named in its collector's
// /bootinfo/SECTION errors while it is broken (unless the change is no
// fault), and the errors clear once it is restored.
func TestFilesChangeUnderScrapes(t *testing.T) {
	needRoot(t)
	root := fixtureRoot(t)
	pristine := t.TempDir()
	if err := os.CopyFS(pristine, os.DirFS(root)); err != nil {
		t.Fatal(err)
	}
	a := start(t, root, "--collector.firmware.refresh=1ns")
	l := startLoop(t, "agent", a, nil)
	l.waitRounds(t, 2)
	for _, m := range mutations() {
		if _, ok := knownBugs[m.name]; ok {
			// TestFilesBrokenAtStart records it.
			continue
		}
		m.do(t, filepath.Join(root, m.path))
		l.waitRounds(t, 2)
		_, quiet := silent[m.name]
		if rereadLive[m.path] && !quiet {
			if errs := liveSectionErrors(t, a, owner(m.path)); len(errs) == 0 {
				t.Errorf("%s: %s names no fault", m.name, owner(m.path))
			}
		}
		restore(t, pristine, root, m.path)
		l.waitRounds(t, 1)
		if rereadLive[m.path] {
			if errs := liveSectionErrors(t, a, owner(m.path)); len(errs) != 0 {
				t.Errorf("%s restored: %s still reports %v", m.name, owner(m.path), errs)
			}
		}
	}
	l.halt()
	l.check(t)
	noPanic(t, "agent", a)
	_, rounds := l.latest()
	t.Logf("%d scrape rounds", rounds)
}

// liveSectionErrors fetches /bootinfo/SECTION and returns its errors.
func liveSectionErrors(t *testing.T, a *agent.Agent, section string) map[string]string {
	t.Helper()
	code, body, err := get(newClient(), a.Base+"/bootinfo/"+section)
	if err != nil || code != 200 {
		t.Fatalf("/bootinfo/%s: %d %v %s", section, code, err, body)
	}
	var s struct {
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("/bootinfo/%s: %v", section, err)
	}
	return s.Errors
}

// restore puts rel back as it is in pristine (a copy of the root taken
// before any change).
func restore(t *testing.T, pristine, root, rel string) {
	t.Helper()
	dst := filepath.Join(root, rel)
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(pristine, rel)
	st, err := os.Lstat(src)
	if err != nil {
		t.Fatal(err)
	}
	if st.IsDir() {
		if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, dst); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, st.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// sectionErrors returns a section's own "errors" object (collectors that
// report per-field faults and are still served).
func sectionErrors(d document, section string) map[string]string {
	var s struct {
		Errors map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(d.Sections[section], &s)
	return s.Errors
}

// owners names the collector that reads each mutated path.
var owners = map[string]string{
	"sys/firmware/efi": "firmware", "sys/firmware/dmi": "dmi", "proc": "host", "etc": "host", "boot": "bootloader",
	"run": "bootloader", "sys/fs/pstore": "history",
}

func owner(path string) string {
	for prefix, c := range owners {
		if strings.HasPrefix(path, prefix) {
			return c
		}
	}
	return ""
}

// silent lists the changes that are not faults, as the README documents
// them or as the file format allows: a host without the file, or content
// that is valid. Every other change must be reported by its collector.
var silent = map[string]string{
	"removed " + globalVar("SecureBoot"):           "secure_boot is unknown when the variable is absent",
	"removed " + globalVar("BootOrder"):            "a firmware without BootOrder",
	"junk " + globalVar("BootOrder"):               "any even number of bytes is a valid BootOrder",
	"removed " + globalVar("BootCurrent"):          "a firmware without BootCurrent",
	"removed " + globalVar("Boot0000"):             "one boot entry fewer",
	"removed sys/firmware/efi/fw_platform_size":    "kernels before 4.0 do not export it",
	"removed " + dmiTables + "/DMI":                "no SMBIOS export: source none",
	"removed " + dmiTables + "/smbios_entry_point": "no SMBIOS export: source none",
	"emptied proc/cmdline":                         "an empty command line is valid",
	"junk proc/cmdline":                            "any text is a command line",
	"emptied proc/stat":                            "boot time then comes from uptime",
	"junk proc/stat":                               "boot time then comes from uptime",
	"emptied proc/sys/kernel/hostname":             "an empty host name is what the kernel holds",
	"junk proc/sys/kernel/hostname":                "any bytes are a host name; labels get U+FFFD for invalid UTF-8",
	"junk proc/sys/kernel/osrelease":               "served as read; labels get U+FFFD for invalid UTF-8",
	"emptied proc/sys/kernel/random/boot_id":       "history reports it (no boot id to key the boot)",
	"junk proc/sys/kernel/random/boot_id":          "the boot id is served as read",
	"emptied proc/sys/kernel/osrelease":            "served as read",
	"emptied etc/os-release":                       "os-release with no fields",
	"emptied etc/machine-id":                       "an uninitialised machine-id is empty",
	"junk etc/machine-id":                          "served as read",
	"removed boot/grub/grub.cfg":                   "no boot loader configuration: not a failure",
	"emptied boot/grub/grub.cfg":                   "a configuration without entries",
	"junk boot/grub/grub.cfg":                      "GRUB script that defines nothing",
	"removed boot/vmlinuz-6.1.0-27-amd64":          "a fact: default_kernel_missing",
	"halved boot/vmlinuz-6.1.0-27-amd64":           "kernels are listed, not read",
	"halved etc/machine-id":                        "served as read",
	"halved proc/sys/kernel/osrelease":             "a shorter release is still one",
	"halved proc/sys/kernel/random/boot_id":        "the boot id is served as read",
	"halved proc/sys/kernel/hostname":              "a shorter name is still one",
	"halved proc/stat":                             "btime is in the first half, or boot time comes from uptime",
	"halved proc/cmdline":                          "a shorter command line is still one",
	"halved proc/uptime":                           "the first number survives",
	"halved " + globalVar("BootOrder"):             "the attributes and whole entries survive",
	"emptied boot/vmlinuz-6.1.0-27-amd64":          "kernels are listed, not read",
	"junk boot/vmlinuz-6.1.0-27-amd64":             "kernels are listed, not read",
	"directory boot/vmlinuz-6.1.0-27-amd64":        "kernels are listed, not read",
	"removed sys/firmware/efi":                     "legacy BIOS boot: mode bios",
	"removed " + dmiTables:                         "no SMBIOS export: source none",
	"removed boot/grub":                            "no boot loader configuration",
	"removed boot":                                 "no boot directory",
}

// knownBugs are changes the agent is known to mishandle, each with its bug;
// the tests that meet them skip with it.
var knownBugs = map[string]string{}

// alsoFails lists collectors besides the owner that fail, and why.
var alsoFails = map[string][]string{
	"removed proc/stat":                        {"history"}, // no boot time: the record is invalid
	"directory proc/stat":                      {"history"},
	"removed proc/sys/kernel/random/boot_id":   {"history"}, // no boot id to key the boot
	"emptied proc/sys/kernel/random/boot_id":   {"history"},
	"directory proc/sys/kernel/random/boot_id": {"history"},
}

// TestFilesBrokenAtStart starts an agent on a fixture root with one file
// broken, for every mutation, and scrapes it once: both endpoints answer
// 200, nothing panics, a collector that failed says why in /bootinfo's
// errors, the collector that reads the file names the fault (in errors or
// in its section's errors) unless the change is no fault, and every other
// collector is served.
func TestFilesBrokenAtStart(t *testing.T) {
	needRoot(t)
	for _, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			if bug, ok := knownBugs[m.name]; ok {
				t.Skip(bug)
			}
			t.Parallel()
			root := fixtureRoot(t)
			m.do(t, filepath.Join(root, m.path))
			a := start(t, root)
			ms, d := scrapeOnce(t, a)
			own := owner(m.path)
			mayFail := map[string]bool{own: true}
			for _, c := range alsoFails[m.name] {
				mayFail[c] = true
			}
			for _, c := range fixtureStable {
				ok := success(ms, c) == 1
				_, inErrors := d.Errors[c]
				if ok == inErrors {
					t.Errorf("%s: success %v but errors.%s %q", c, success(ms, c), c, d.Errors[c])
				}
				if !ok && !mayFail[c] {
					t.Errorf("%s failed: %s", c, d.Errors[c])
				}
				if ok && d.Sections[c] == nil {
					t.Errorf("%s succeeded but has no section", c)
				}
			}
			reported := d.Errors[own]
			if e := sectionErrors(d, own); len(e) > 0 {
				b, _ := json.Marshal(e)
				reported += string(b)
			}
			_, quiet := silent[m.name]
			switch {
			case quiet && reported != "":
				t.Logf("reported although no fault: %s", reported)
			case !quiet && reported == "":
				t.Errorf("%s does not report %s", own, m.name)
			case !quiet && strings.HasPrefix(m.name, "directory") && !strings.Contains(reported, "is a directory"):
				t.Errorf("%s reports %q, want it to say the file is a directory", own, reported)
			}
			noPanic(t, "agent", a)
		})
	}
}

// TestInvalidUTF8HostFields gives the host collector text that is not
// valid UTF-8 where Linux allows any bytes (sethostname(2), os-release):
// the host collector must still be served, the text made valid for its
// Prometheus labels.
func TestInvalidUTF8HostFields(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct{ path, content string }{
		{"proc/sys/kernel/hostname", "web\xff01\n"},
		{"proc/sys/kernel/osrelease", "6.1.0-27-amd64\xff\n"},
		{"proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 \xff\n"},
		{"etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Deb\xffian GNU/Linux 12\"\n"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			root := fixtureRoot(t)
			write(t, filepath.Join(root, tc.path), []byte(tc.content))
			a := start(t, root)
			ms, d := scrapeOnce(t, a)
			wantServed(t, ms, d, fixtureStable...)
			noPanic(t, "agent", a)
		})
	}
}
