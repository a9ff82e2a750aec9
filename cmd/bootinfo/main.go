// Command bootinfo tells how a Linux host booted and what hardware it booted
// on, as Prometheus metrics, as one JSON document, and at a terminal.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/bootinfo/bootinfo/collectors"
	"github.com/bootinfo/bootinfo/dmi/dmidecode"
	"github.com/bootinfo/bootinfo/systemd"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
)

// defaultPort lies outside 9100-9999, the Prometheus exporter range that is
// fully allocated, and is not registered to any well-known exporter.
const defaultPort = ":19117"

// options is everything the command line sets, passed down as values.
type options struct {
	paths           collectors.Paths
	enabled         map[string]*bool
	collectorConfig collectors.Config
	timeout         time.Duration
	logConfig       promslog.Config
	nfd             nfdOptions
	// plotUnits is --plot.units: how many units the boot timeline draws.
	plotUnits int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitCode carries kingpin's request to terminate (after --help or
// --version) out of Parse without exiting the process, so tests can call run.
type exitCode int

func run(args []string, stdout, stderr io.Writer) (rc int) {
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			rc = int(c)
		}
	}()
	app := kingpin.New("bootinfo", "Tells how a Linux host booted and what hardware it booted on: firmware, SMBIOS/DMI, kernel log, boot loader and systemd, served as Prometheus metrics and as one JSON document.")
	app.Writer(stdout)
	app.ErrorWriter(stderr)
	app.UsageWriter(stdout)
	app.Version(version.Print("bootinfo"))
	app.HelpFlag.Short('h')
	app.Terminate(func(code int) { panic(exitCode(code)) })

	var o options
	app.Flag("path.rootfs", "Root filesystem of the host, for /etc files (a container mounting the host at /host sets /host).").Default("/").StringVar(&o.paths.RootFS)
	app.Flag("path.sysfs", "sysfs mount point: firmware tables, EFI variables, DMI, TPM.").Default("/sys").StringVar(&o.paths.SysFS)
	app.Flag("path.procfs", "procfs mount point: kernel command line, boot id, boot time.").Default("/proc").StringVar(&o.paths.ProcFS)
	app.Flag("path.dev", "devtmpfs mount point, for the kernel log device kmsg.").Default("/dev").StringVar(&o.paths.DevFS)
	app.Flag("path.boot", "Boot directory: kernels, GRUB configuration.").Default("/boot").StringVar(&o.paths.Boot)
	app.Flag("collector.timeout", fmt.Sprintf("Deadline for each collector in one scrape or show (above 0, at most %s); a collector past it is reported failed and never holds the others.", maxTimeout)).Default("5s").DurationVar(&o.timeout)
	o.enabled = map[string]*bool{}
	for _, f := range collectors.Factories() {
		def := "false"
		if f.DefaultEnabled {
			def = "true"
		}
		o.enabled[f.Name] = app.Flag("collector."+f.Name, fmt.Sprintf("Enable the %s collector: %s.", f.Name, f.Help)).Default(def).Bool()
	}
	app.Flag("collector.firmware.refresh", "How often to re-read the EFI boot variables, which efibootmgr can change before the next boot (0 reads them once). The kernel rate-limits efivarfs reads by non-root users.").Default("5m").DurationVar(&o.collectorConfig.Firmware.Refresh)
	app.Flag("collector.dmi.serials", "Expose serial numbers, UUIDs and asset tags from SMBIOS; --no-collector.dmi.serials withholds them from every output.").Default("true").BoolVar(&o.collectorConfig.DMI.Serials)
	app.Flag("collector.kmsg.records", "Serve kernel message text: recent records at /bootinfo/kmsg/records and the messages the summary quotes; --no-collector.kmsg.records withholds them.").Default("true").BoolVar(&o.collectorConfig.Kmsg.Records)
	app.Flag("collector.kmsg.records-kept", fmt.Sprintf("How many recent kernel log records to keep in memory for /bootinfo/kmsg/records (1 to %d; each costs about 72 bytes, allocated at start, plus its message).", maxRecordsKept)).Default("1000").IntVar(&o.collectorConfig.Kmsg.Keep)
	app.Flag("state.dir", "Directory for the agent's state: the boot history (created if missing; without write access history is compared in memory only).").Default("/var/lib/bootinfo").StringVar(&o.collectorConfig.History.Dir)
	app.Flag("state.keep-boots", fmt.Sprintf("How many boots the history keeps (1 to %d).", maxKeepBoots)).Default("20").IntVar(&o.collectorConfig.History.Keep)
	app.Flag("collector.systemd.user", "Watch the calling user's service manager instead of the system's.").BoolVar(&o.collectorConfig.Systemd.User)
	app.Flag("collector.systemd.address", "D-Bus address of the manager (default: the system manager's private socket /run/systemd/private as root, else the system bus).").PlaceHolder("ADDRESS").StringVar(&o.collectorConfig.Systemd.Address)
	app.Flag("collector.systemd.address-is-bus", "The --collector.systemd.address is a message bus (system or session bus), not the manager's private socket.").BoolVar(&o.collectorConfig.Systemd.Bus)
	app.Flag("collector.systemd.timeout", "Deadline for every D-Bus call to the manager.").Default("5s").DurationVar(&o.collectorConfig.Systemd.Timeout)
	app.Flag("collector.systemd.max-calls-per-second", "Most unit property reads sent to the manager in any second: systemd's manager sleeps a whole second when its loop turns more than 50,000 times in one.").Default(strconv.Itoa(systemd.DefaultCallRate)).IntVar(&o.collectorConfig.Systemd.CallRate)
	app.Flag("collector.systemd.unit-files-from-manager", "Ask the manager for the unit file list (ListUnitFiles, which blocks it for seconds with a thousand unit files) instead of reading it from the unit directories below --path.rootfs.").BoolVar(&o.collectorConfig.Systemd.UnitFilesFromManager)
	app.Flag("collector.systemd.source", "Where the systemd section comes from: manager (D-Bus), files (the unit files below --path.rootfs, as systemctl --root reads them), or auto: the manager when the root booted with systemd (it has /run/systemd/system) or an address is given, until it never answers; files otherwise, as for another system's root mounted for repair.").Default("auto").EnumVar(&o.collectorConfig.Systemd.Source, "auto", "manager", "files")
	app.Flag("collector.systemd.unit-include", "Regexp of unit names to report (anchored, as node_exporter's).").Default(".+").StringVar(&o.collectorConfig.Systemd.Include)
	app.Flag("collector.systemd.unit-exclude", "Regexp of unit names not to report (anchored).").Default(".+\\.(automount|device|mount|scope|slice)").StringVar(&o.collectorConfig.Systemd.Exclude)
	app.Flag("collector.bootloader.logind-address", "D-Bus address where logind answers for scheduled shutdowns (default: the system bus).").PlaceHolder("ADDRESS").StringVar(&o.collectorConfig.Bootloader.LogindAddress)
	app.Flag("nfd.features-dir", "Serve also writes node-feature-discovery's local feature file \""+nfdFileName+"\" into this directory (NFD's features.d): node labels for the firmware mode, Secure Boot, the 2023 Microsoft CAs and a pending reboot. Off by default.").PlaceHolder("DIR").StringVar(&o.nfd.dir)
	app.Flag("nfd.interval", fmt.Sprintf("How often serve makes the node labels again (above 0, at most %s); the file is written only when they change.", maxNFDInterval)).Default("1m").DurationVar(&o.nfd.interval)
	app.Flag("nfd.expiry", "How long node-feature-discovery keeps the labels after each write, so that they go if bootinfo stops (0: for ever; else at least twice --nfd.interval). The file is written again once half of it has passed.").Default("1h").DurationVar(&o.nfd.expiry)
	addPlotFlags(app, &o.plotUnits)
	promslogflag.AddFlags(app, &o.logConfig)

	serveCmd := app.Command("serve", "Serve /metrics, /bootinfo and /healthz (the default command).").Default()
	sf := serveFlags{web: kingpinflag.AddFlags(serveCmd, defaultPort)}
	serveCmd.Flag("web.telemetry-path", "Path under which to expose metrics (not /, /healthz or below /bootinfo).").Default("/metrics").StringVar(&sf.telemetryPath)
	serveCmd.Flag("web.disable-exporter-metrics", "Exclude the agent's own process and Go runtime metrics from /metrics.").BoolVar(&sf.disableExporterMetrics)
	serveCmd.Flag("web.max-requests", "Maximum number of concurrent /metrics requests, and as many again of /bootinfo and /bootinfo/...; more get 503. 0 disables the limit.").Default("128").IntVar(&sf.maxRequests)
	serveCmd.Flag("web.health-address", "Also serve /healthz alone on this address, over plain HTTP without authentication, for probes that cannot pass --web.config.file's credentials (Kubernetes). Off by default.").PlaceHolder("[HOST]:PORT").StringVar(&sf.healthAddress)

	showCmd := app.Command("show", "Collect once and print the document that /bootinfo serves (or one section of it), then exit.")
	var showSection, showFormat string
	showCmd.Arg("section", "Print only this section (a collector's name, as in /bootinfo/SECTION).").StringVar(&showSection)
	var showUnit string
	showCmd.Flag("unit", "With section systemd: print one unit in detail, as systemctl show does (/bootinfo/systemd/units/NAME).").PlaceHolder("NAME").StringVar(&showUnit)
	showCmd.Flag("format", "Output format: json, text (the report: each boot stage and its verdict, warnings first; colour on a terminal unless NO_COLOR is set), yaml (the JSON document as YAML), or svg (the boot timeline picture, "+plotPath+").").Short('o').Default("json").EnumVar(&showFormat, "json", "text", "yaml", "svg")

	dmiCmd := app.Command("dmi", "Decode the SMBIOS/DMI tables as dmidecode 3.4 does, for hosts and containers without dmidecode.")
	var df dmiFlags
	dmiCmd.Flag("from-dump", "Read the tables from a binary dump (as written by dmidecode --dump-bin) instead of the host's.").PlaceHolder("FILE").StringVar(&df.fromDump)
	dmiCmd.Flag("type", "Only print structures of this type: a number, a comma-separated list, or a keyword ("+joinKeywords(dmidecode.TypeKeywords())+"). Repeatable.").Short('t').PlaceHolder("TYPE").StringsVar(&df.types)
	dmiCmd.Flag("string", "Only print the value of this DMI string ("+joinKeywords(dmidecode.Keywords())+").").Short('s').PlaceHolder("KEYWORD").StringVar(&df.keyword)
	dmiCmd.Flag("dump", "Print every structure as hex instead of decoding it.").Short('u').BoolVar(&df.dump)
	dmiCmd.Flag("dump-bin", "Write the tables to FILE in dmidecode's binary dump format instead of printing them.").PlaceHolder("FILE").StringVar(&df.dumpBin)
	dmiCmd.Flag("format", "Output format: text (as dmidecode prints), or json (the summary the dmi collector serves).").Default("text").EnumVar(&df.format, "text", "json")

	kmsgCmd := app.Command("kmsg", "Print the kernel log as dmesg does, or as JSON with the summary the kmsg collector serves.")
	var kf kmsgFlags
	kmsgCmd.Flag("file", "Read a capture instead of the live device: `cat /dev/kmsg` output (newline-separated) or util-linux's NUL-separated --kmsg-file form.").PlaceHolder("FILE").StringVar(&kf.file)
	kmsgCmd.Flag("follow", "Wait for new records, as dmesg --follow (JSON: one record per line).").Short('w').BoolVar(&kf.follow)
	kmsgCmd.Flag("level", "Only print records of these levels, comma-separated: emerg, alert, crit, err, warn, notice, info, debug (the summary still counts all).").Short('l').PlaceHolder("LEVEL[,LEVEL]").StringVar(&kf.levels)
	kmsgCmd.Flag("format", "Output format: text (as dmesg prints), or json.").Default("text").EnumVar(&kf.format, "text", "json")
	kmsgCmd.Flag("force-prefix", "Text: stamp every line of a multi-line message, as dmesg --force-prefix, instead of indenting the lines after the first.").Short('p').BoolVar(&kf.forcePrefix)

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "bootinfo: %v; try --help\n", err)
		return 2
	}
	o.logConfig.Writer = stderr
	logger := promslog.New(&o.logConfig)
	o.paths = cleanPaths(o.paths)
	o.collectorConfig.Paths = o.paths
	o.collectorConfig.Logger = logger

	sf.plotUnits = o.plotUnits
	serving := cmd == serveCmd.FullCommand()
	if err := validate(o, sf, serving); err != nil {
		fmt.Fprintf(stderr, "bootinfo: %v; try --help\n", err)
		return 2
	}

	switch cmd {
	case serveCmd.FullCommand():
		return serve(logger, o, sf)
	case kmsgCmd.FullCommand():
		return kmsgCommand(stdout, stderr, o, kf)
	case dmiCmd.FullCommand():
		return dmiCommand(stdout, stderr, o, df)
	case showCmd.FullCommand():
		return show(stdout, stderr, logger, o, showSection, showFormat, showUnit)
	}
	return 2
}

func cleanPaths(p collectors.Paths) collectors.Paths {
	for _, s := range []*string{&p.RootFS, &p.SysFS, &p.ProcFS, &p.DevFS, &p.Boot} {
		if *s != "/" {
			*s = strings.TrimRight(*s, "/")
		}
	}
	return p
}

// buildSet instantiates the enabled collectors; only names restricts it
// further. A collector that cannot be built stays in the set as one that
// fails with that error on every scrape, so it shows in the success metric
// and the document's errors, and never stops the others.
func buildSet(logger *slog.Logger, o options, only ...string) *collectors.Set {
	built := map[string]collectors.Collector{}
	for _, f := range collectors.Factories() {
		if !*o.enabled[f.Name] {
			continue
		}
		if len(only) > 0 && !contains(only, f.Name) {
			continue
		}
		cfg := o.collectorConfig
		cfg.Logger = logger.With("collector", f.Name)
		c, err := f.New(cfg)
		if err != nil {
			logger.Error("collector cannot start", "collector", f.Name, "err", err)
			c = brokenCollector{err}
		}
		built[f.Name] = c
	}
	collectors.Link(built)
	return collectors.NewSet(built, o.timeout, logger)
}

type brokenCollector struct{ err error }

func (b brokenCollector) Collect(context.Context) (*collectors.Snapshot, error) { return nil, b.err }

func enabledNames(o options) []string {
	var out []string
	for n, on := range o.enabled {
		if *on {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func joinKeywords(kw []string) string { return strings.Join(kw, ", ") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
