package host

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"github.com/bootinfo/bootinfo/internal/testing/qemulab"
)

// The command-line test boots this test binary as /init of a QEMU guest, so
// that a real kernel splits hostile command lines and hands init what it did
// not use. The kernel passes unknown KEY=value parameters to init as its
// environment; this one selects the guest role.
const vmInitEnv = "BOOTINFO_HOST_VM_INIT"

// vmReportPrefix starts the console line carrying the guest's report: gob
// (which keeps strings byte for byte, where JSON would replace invalid
// UTF-8) in base64, so that no byte of it can be taken for a line end.
const vmReportPrefix = "BOOTINFO-HOST-VM-REPORT "

// vmReport is what the guest saw.
type vmReport struct {
	Error string
	// Args and Env are init's argv and environment, as the kernel built them.
	Args []string
	Env  []string
	// ProcCmdline is /proc/cmdline, byte for byte.
	ProcCmdline []byte
	// Raw and Parsed are what bootinfo's reader made of it: FS.Boot's
	// CmdlineRaw and Cmdline.
	Raw    string
	Parsed Cmdline
}

func TestMain(m *testing.M) {
	if os.Getpid() == 1 && os.Getenv(vmInitEnv) == "1" {
		vmInit()
	}
	os.Exit(m.Run())
}

// vmInit runs in the guest as PID 1: report argv, the environment, and
// /proc/cmdline with bootinfo's reading of it, then power off.
func vmInit() {
	rep := vmReport{Args: os.Args, Env: os.Environ()}
	func() {
		if err := syscall.Mount("proc", "/proc", "proc", 0, ""); err != nil {
			rep.Error = fmt.Sprintf("mount proc: %v", err)
			return
		}
		b, err := hostfile.ReadFile("/proc/cmdline", hostfile.LimitAttr)
		if err != nil {
			rep.Error = err.Error()
			return
		}
		rep.ProcCmdline = b
		f, err := NewFS("/proc", "/")
		if err != nil {
			rep.Error = err.Error()
			return
		}
		boot, _ := f.Boot() // other facts may fail in this bare guest
		if boot.CmdlineRaw == "" {
			rep.Error = "bootinfo read no command line"
		}
		rep.Raw, rep.Parsed = boot.CmdlineRaw, boot.Cmdline
	}()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(rep); err != nil {
		b.Reset()
		gob.NewEncoder(&b).Encode(vmReport{Error: err.Error()})
	}
	fmt.Fprintf(os.Stdout, "\n%s%s\n", vmReportPrefix, base64.StdEncoding.EncodeToString(b.Bytes()))
	os.Stdout.Sync()
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// kernelKnows names the parameters of the lab's command line that the kernel
// itself takes (console= is a __setup, quiet an early_param, panic a core
// parameter): it hands init none of them.
var kernelKnows = map[string]bool{"console": true, "quiet": true, "panic": true}

// initGets predicts from a parsed command line what the kernel hands init,
// following init/main.c: unknown_bootoption puts a parameter the kernel
// does not know into init's environment as key=value when it has a value
// (replacing an earlier one of the same key, in its place) and into its
// argv when it has none, drops one whose key holds a dot (a module's
// parameter); set_init_arg appends every word after "--" to argv. argv[0]
// is the init program; the environment starts with HOME=/ and TERM=linux.
func initGets(c Cmdline) (argv, env []string) {
	argv = []string{"/init"}
	env = []string{"HOME=/", "TERM=linux"}
	for _, p := range c.Params {
		switch {
		case kernelKnows[p.Key] || strings.Contains(p.Key, "."):
		case p.HasValue:
			kv := p.Key + "=" + p.Value
			if i := slices.IndexFunc(env, func(e string) bool { return strings.HasPrefix(e, p.Key+"=") }); i >= 0 {
				env[i] = kv
			} else {
				env = append(env, kv)
			}
		default:
			argv = append(argv, p.Key)
		}
	}
	return append(argv, c.InitArgs...), env
}

// TestCmdlineUnderQEMU boots the lab kernel with hostile command lines and
// checks that bootinfo splits /proc/cmdline exactly as the kernel split it:
// what bootinfo predicts init receives, from its own parse, must be init's
// real argv and environment, and /proc/cmdline must be the line QEMU passed.
func TestCmdlineUnderQEMU(t *testing.T) {
	lab := qemulab.Setup(t)
	init := qemulab.GuestTestBinary(t)
	base := qemulab.DefaultAppend + " " + vmInitEnv + "=1"
	tests := []struct {
		name string
		line string
		// want are facts about the split that the comparison with the
		// kernel must not be vacuous about: parameters bootinfo must see.
		want func(t *testing.T, c Cmdline, argv, env []string)
	}{{
		name: "quotes",
		line: base +
			// A quote inside a value groups, and stays.
			` BIQmid=a"b c"d` +
			// The value's quote is removed, with the word's last byte only.
			` BIQafter="b c"d` +
			` "BIQword=x y"` +
			` "BIQkey a"=v` +
			` BIQflag "BIQquoted flag"` +
			// "=" at a word's start does not split.
			` =BIQeq=1` +
			` BIQdup=1 BIQdup=2` +
			` biq.mod=1` +
			// White space: tab, newline, and Latin-1's no-break space, the
			// second byte of UTF-8 "à".
			" BIQt1=1\tBIQt2=2\nBIQnl=3" +
			" BIQnbsp=\xc3\xa0BIQnbspflag" +
			" BIQqt=\"a\tb\"" +
			// A quoted "--" ends the parameters all the same.
			` "--" BIQinit1 "BIQinit 2" BIQi3="x y"z` +
			// A second "--" ends init's arguments.
			` -- BIQlost`,
		want: func(t *testing.T, c Cmdline, argv, env []string) {
			for k, v := range map[string]string{"BIQmid": `a"b c"d`, "BIQafter": `b c"d`, "BIQword": "x y", `BIQkey a"`: "v",
				"=BIQeq": "1", "BIQdup": "2", "BIQt2": "2", "BIQnl": "3", "BIQnbsp": "\xc3", "BIQqt": "a\tb"} {
				if got, ok := c.Get(k); !ok || got != v {
					t.Errorf("parameter %q = %q, %v; want %q", k, got, ok, v)
				}
			}
			if diff := cmp.Diff([]string{"BIQinit1", "BIQinit 2", `BIQi3=x y"z`}, c.InitArgs); diff != "" {
				t.Errorf("init args (-want +got):\n%s", diff)
			}
			if len(argv) != 7 || len(env) != 14 {
				t.Errorf("init got %d arguments and %d variables, want 7 and 14", len(argv), len(env))
			}
		},
	}, {
		// The longest line the x86 boot protocol carries (cmdline_size,
		// 2047 bytes and the NUL, in the lab kernel), ending in a quote
		// that is never closed. (QEMU boots nothing, and prints nothing,
		// with a longer one.)
		name: "long",
		line: longLine(base+` BIQopen="`, 2047, " -- BIQafter"),
		want: func(t *testing.T, c Cmdline, argv, env []string) {
			v, ok := c.Get("BIQopen")
			if !ok || !strings.HasPrefix(v, "v v v ") {
				t.Errorf("BIQopen = %.40q..., %v", v, ok)
			}
			if c.InitArgs != nil {
				t.Errorf("an open quote took the rest of the line, but bootinfo found init args %q", c.InitArgs)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			boot := lab.Run(t, "cmdline-"+tt.name, qemulab.Config{
				Firmware: qemulab.SeaBIOS,
				Append:   tt.line,
				Init:     init,
			})
			rep := vmReportFrom(t, boot.Console)
			if rep.Error != "" {
				t.Fatalf("guest: %s", rep.Error)
			}
			proc := strings.TrimSuffix(string(rep.ProcCmdline), "\n")
			t.Logf("passed %d bytes; /proc/cmdline has %d; init got %d arguments and %d variables", len(tt.line), len(proc), len(rep.Args), len(rep.Env))
			if !strings.HasPrefix(tt.line, proc) || len(proc) == 0 {
				t.Errorf("/proc/cmdline %q is not the line passed, %q, or a prefix of it", proc, tt.line)
			} else if proc != tt.line {
				t.Logf("the kernel kept the first %d of %d bytes", len(proc), len(tt.line))
			}
			if rep.Raw != strings.TrimRight(proc, "\n\x00") {
				t.Errorf("bootinfo read %q from /proc/cmdline, which holds %q", rep.Raw, proc)
			}
			c := ParseCmdline(proc)
			if diff := cmp.Diff(c, rep.Parsed); diff != "" {
				t.Errorf("bootinfo in the guest parsed differently from ParseCmdline (-here +guest):\n%s", diff)
			}
			argv, env := initGets(c)
			if diff := cmp.Diff(argv, rep.Args); diff != "" {
				t.Errorf("init's argv, as bootinfo's split predicts it and as the kernel made it (-bootinfo +kernel):\n%s", diff)
			}
			if diff := cmp.Diff(env, rep.Env); diff != "" {
				t.Errorf("init's environment, as bootinfo's split predicts it and as the kernel made it (-bootinfo +kernel):\n%s", diff)
			}
			tt.want(t, c, rep.Args, rep.Env)
		})
	}
}

// vmReportFrom finds and decodes the guest's report on the console.
func vmReportFrom(t *testing.T, console []byte) vmReport {
	t.Helper()
	for _, line := range bytes.Split(console, []byte("\n")) {
		i := bytes.Index(line, []byte(vmReportPrefix))
		if i < 0 {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(line[i+len(vmReportPrefix):])))
		if err != nil {
			t.Fatalf("guest report %q: %v", line, err)
		}
		var rep vmReport
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&rep); err != nil {
			t.Fatalf("guest report %q: %v", b, err)
		}
		return rep
	}
	t.Fatalf("guest printed no report:\n%s", console)
	return vmReport{}
}

// longLine pads prefix with "v " to n bytes, the last of them tail.
func longLine(prefix string, n int, tail string) string {
	pad := n - len(prefix) - len(tail)
	return prefix + strings.Repeat("v ", pad/2) + strings.Repeat("v", pad%2) + tail
}
