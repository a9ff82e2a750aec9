package qemulab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Firmware selects what the guest boots under.
type Firmware int

const (
	// SeaBIOS is legacy BIOS: QEMU's default firmware, SMBIOS 2.8 by default.
	SeaBIOS Firmware = iota + 1
	// OVMF is UEFI without Secure Boot keys (Secure Boot off, setup mode).
	OVMF
	// OVMFSecureBoot is UEFI with the snakeoil PK, KEK and db enrolled and
	// Secure Boot on; the guest kernel is the snakeoil-signed copy and the
	// machine runs with SMM so the variable store is protected.
	OVMFSecureBoot
	// OVMFMicrosoft is UEFI with the variable store Debian's ovmf package
	// enrols with Microsoft's keys (a Debian PK; KEK: a Debian KEK and
	// Microsoft Corporation KEK CA 2011; db: Microsoft Windows Production
	// PCA 2011 and Microsoft Corporation UEFI CA 2011; dbx: one entry),
	// as a machine shipped for Windows has them, and Secure Boot on. The
	// guest kernel is Debian's own signed one, and the machine runs with
	// SMM as under [OVMFSecureBoot].
	OVMFMicrosoft
)

// String returns the profile's name as tests print it.
func (f Firmware) String() string {
	switch f {
	case SeaBIOS:
		return "seabios"
	case OVMF:
		return "ovmf"
	case OVMFSecureBoot:
		return "ovmf-secureboot"
	case OVMFMicrosoft:
		return "ovmf-ms"
	}
	return "firmware(" + strconv.Itoa(int(f)) + ")"
}

// DefaultAppend is the kernel command line used when [Config.Append] is empty.
const DefaultAppend = "console=ttyS0 quiet panic=-1"

// DefaultTimeout bounds a boot whose context has no deadline. It is a safety
// net against a hung guest, not a performance expectation.
const DefaultTimeout = 10 * time.Minute

// DefaultMaxConsole bounds the console transcript kept from one boot.
const DefaultMaxConsole = 32 << 20

// FirmwareCapture lists the guest files that describe the firmware: the SMBIOS
// entry point and table as the kernel exports them, the UEFI platform size and
// every EFI variable. Pass it as [Config.Capture].
var FirmwareCapture = []string{
	SysfsEntryPoint,
	SysfsDMI,
	"/sys/firmware/efi/fw_platform_size",
	EfivarsDir + "/*",
}

// Guest paths of the firmware files in [FirmwareCapture].
const (
	SysfsEntryPoint = "/sys/firmware/dmi/tables/smbios_entry_point"
	SysfsDMI        = "/sys/firmware/dmi/tables/DMI"
	EfivarsDir      = "/sys/firmware/efi/efivars"
)

// Config describes one boot.
type Config struct {
	// Firmware is the firmware profile; required.
	Firmware Firmware
	// Machine is QEMU's machine type: "pc" (i440FX) or "q35". Empty means pc
	// under SeaBIOS and q35 under OVMF; Secure Boot needs q35.
	Machine string
	// SMBIOSEntryPoint64 asks QEMU for an SMBIOS 3.x (64-bit, "_SM3_") entry
	// point instead of the 2.x ("_SM_") one.
	SMBIOSEntryPoint64 bool
	// SMBIOS holds the values of -smbios options, e.g. "type=1,serial=X".
	SMBIOS []string
	// Devices holds the values of -device options, e.g.
	// "virtio-rng-pci,id=rng0" for an SMBIOS type 41 entry to point at.
	Devices []string
	// SMP is the value of -smp, e.g. "sockets=2,cores=1"; empty means one CPU.
	SMP string
	// MemoryMiB is the guest's memory; zero means 512.
	MemoryMiB int
	// Append is the kernel command line; empty means [DefaultAppend]. It must
	// send the console to ttyS0. With an Image, its boot loader decides the
	// command line; Append is only handed to [Image.Build].
	Append string
	// Image, when set, boots a bootable image from a drive, through the boot
	// loader in it, instead of QEMU loading the kernel and initramfs itself.
	Image *Image
	// Files are put into the initramfs, e.g. the binary under test.
	Files []File
	// Capture lists guest files (shell patterns allowed) to return as outputs
	// named "file:" + path, e.g. [FirmwareCapture].
	Capture []string
	// Commands run in order after the captures.
	Commands []Command
	// Init, when set, is the host path of a statically linked program the
	// guest runs as /init instead of the script that runs Capture and
	// Commands (which must then be empty). It reports through the console
	// alone: Boot returns once QEMU exits (the program powers the guest
	// off, or the kernel panics and QEMU exits instead of rebooting), with
	// what it printed in [Result.Console] and no Outputs.
	Init string
	// MaxConsole bounds the console transcript in bytes; zero means
	// [DefaultMaxConsole]. QEMU is stopped when the guest prints more.
	MaxConsole int
	// Reboot lets a guest reset (a reboot, a panic under panic=-1, a
	// watchdog's reset) start the guest again in the same QEMU run, as a
	// machine would, instead of ending QEMU (-no-reboot). QEMU reloads the
	// kernel and initramfs; RAM, disks and device state such as the
	// i6300ESB's reboot flag carry over. The guest must power off by
	// itself in the end.
	Reboot bool
	// Disks are host paths of raw disk images, attached in order to SATA
	// ports of an AHCI controller of their own (at most 6). The guest
	// writes to them; they outlive the boot, so a later boot can attach
	// the same image again.
	Disks []string
}

// maxDisks is the number of ports of QEMU's AHCI controller.
const maxDisks = 6

// Result is what a boot produced.
type Result struct {
	// Args is QEMU's command line, for logs.
	Args []string
	// Console is the serial console transcript (with the framed outputs).
	Console []byte
	// Stderr is what QEMU itself printed.
	Stderr []byte
	// Outputs holds each command's output by name and each captured file by
	// "file:" + guest path.
	Outputs map[string]*Output
	// Elapsed is the time from starting QEMU to its exit.
	Elapsed time.Duration
	// CPU is the processor time QEMU used (user and system). On a machine
	// shared with other jobs it measures a boot's own cost more steadily
	// than Elapsed does.
	CPU time.Duration
	// Waited is how long the boot waited for other boots (in this process
	// or, on Linux, another) to finish before it could start.
	Waited time.Duration
	// InitStart and InitDone are the guest's uptime when /init started and
	// when it had run everything: the kernel's share and /init's share of
	// Elapsed (the rest is QEMU and firmware).
	InitStart, InitDone time.Duration
}

// File returns a captured guest file's bytes.
func (r *Result) File(guestPath string) ([]byte, bool) {
	o, ok := r.Outputs["file:"+guestPath]
	if !ok || o.ExitStatus != 0 {
		return nil, false
	}
	return o.Stdout, true
}

// EFIVars returns the captured efivarfs files by name ("SecureBoot-8be4df61-...");
// each value is 4 attribute bytes (little endian) then the variable's data. It
// is empty for a guest without EFI.
func (r *Result) EFIVars() map[string][]byte {
	vars := map[string][]byte{}
	prefix := "file:" + EfivarsDir + "/"
	for name, o := range r.Outputs {
		if rest, ok := strings.CutPrefix(name, prefix); ok && o.ExitStatus == 0 {
			vars[rest] = o.Stdout
		}
	}
	return vars
}

// SMBIOS returns the captured entry point and table, as the guest kernel
// exported them.
func (r *Result) SMBIOS() (entryPoint, table []byte, err error) {
	ep, ok1 := r.File(SysfsEntryPoint)
	tab, ok2 := r.File(SysfsDMI)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("qemulab: guest exported no SMBIOS tables (capture %s and %s)", SysfsEntryPoint, SysfsDMI)
	}
	return ep, tab, nil
}

// DumpBin returns the guest's SMBIOS tables in `dmidecode --dump-bin` layout.
func (r *Result) DumpBin() ([]byte, error) {
	ep, tab, err := r.SMBIOS()
	if err != nil {
		return nil, err
	}
	return DumpBin(ep, tab)
}

// bootMu keeps boots sequential within the process (lockBoots across
// processes): TCG is CPU-bound and the machines running the tests have two
// cores shared with other jobs.
var bootMu sync.Mutex

// Boot boots the configured guest, waits for it to power off and returns its
// outputs. QEMU is killed when ctx is done (or after [DefaultTimeout] when ctx
// has no deadline). Boots are serialised across goroutines and, on Linux,
// across processes. When the guest does not finish /init the error wraps
// [ErrIncomplete] and the partial Result, with the console transcript, is
// returned too.
func (l *Lab) Boot(ctx context.Context, cfg Config) (*Result, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}

	// The initramfs and any boot image are built before the boot waits
	// for its turn, so that other boots do not wait for that work.
	tmp, err := os.MkdirTemp("", "qemulab-")
	if err != nil {
		return nil, fmt.Errorf("qemulab: %w", err)
	}
	defer os.RemoveAll(tmp)

	var tok [8]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("qemulab: %w", err)
	}
	token := hex.EncodeToString(tok[:])

	initrd, err := l.initramfs(&cfg, token)
	if err != nil {
		return nil, err
	}
	initrdPath := filepath.Join(tmp, "initrd.img")
	if err := os.WriteFile(initrdPath, initrd, 0o600); err != nil {
		return nil, fmt.Errorf("qemulab: %w", err)
	}
	args, err := l.args(&cfg, tmp, initrdPath)
	if err != nil {
		return nil, err
	}

	queued := time.Now()
	bootMu.Lock()
	defer bootMu.Unlock()
	unlock, err := lockBoots(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	waited := time.Since(queued)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	limit := cfg.MaxConsole
	if limit <= 0 {
		limit = DefaultMaxConsole
	}
	console := &boundedBuffer{max: limit, full: cancel}
	qerr := &boundedBuffer{max: 1 << 20, full: cancel}
	cmd := exec.CommandContext(ctx, l.QEMU, args...)
	cmd.Stdin = nil
	cmd.Stdout = console
	cmd.Stderr = qerr
	cmd.WaitDelay = 10 * time.Second

	res := &Result{Args: append([]string{l.QEMU}, args...), Waited: waited}
	start := time.Now()
	runErr := cmd.Run()
	res.Elapsed = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		res.CPU = ps.UserTime() + ps.SystemTime()
	}
	res.Console = console.buf.Bytes()
	res.Stderr = qerr.buf.Bytes()

	done, perr := ctx.Err() == nil, error(nil)
	res.Outputs = map[string]*Output{}
	if cfg.Init == "" {
		var times initTimes
		res.Outputs, times, done, perr = parseConsole(res.Console, token)
		res.InitStart, res.InitDone = times.start, times.done
	}
	switch {
	case console.overflow:
		return res, fmt.Errorf("%w: console output passed %d bytes", ErrIncomplete, limit)
	case perr != nil:
		return res, perr
	case !done && ctx.Err() != nil:
		return res, fmt.Errorf("%w: stopped after %v: %v", ErrIncomplete, res.Elapsed.Round(time.Millisecond), context.Cause(ctx))
	case !done:
		return res, fmt.Errorf("%w: qemu exited (%v); console ends with %q", ErrIncomplete, runErr, tail(res.Console, 2000))
	case runErr != nil:
		return res, fmt.Errorf("qemulab: qemu: %w: %s", runErr, tail(res.Stderr, 2000))
	}
	return res, nil
}

// args builds QEMU's command line; it copies the OVMF variable store into tmp
// so every boot starts from the pristine one and the host's stays untouched,
// and builds cfg.Image there when the boot goes through one.
func (l *Lab) args(cfg *Config, tmp, initrd string) ([]string, error) {
	mem := cfg.MemoryMiB
	if mem == 0 {
		mem = 512
	}
	if mem < 64 {
		return nil, fmt.Errorf("qemulab: %d MiB of memory is too little for the guest", mem)
	}
	appendLine := cfg.Append
	if appendLine == "" {
		appendLine = DefaultAppend
	}
	kernel := l.Kernel
	machine := cfg.Machine
	var fw []string
	switch cfg.Firmware {
	case SeaBIOS:
		if machine == "" {
			machine = "pc"
		}
	case OVMF, OVMFSecureBoot, OVMFMicrosoft:
		if machine == "" {
			machine = "q35"
		}
		code, vars := l.OVMFCode, l.OVMFVars
		switch cfg.Firmware {
		case OVMFSecureBoot:
			code, vars, kernel = l.OVMFCodeSnakeoil, l.OVMFVarsSnakeoil, l.KernelSnakeoil
		case OVMFMicrosoft:
			// Debian's kernel as Debian signed it: no re-signing.
			code, vars = l.OVMFCodeMicrosoft, l.OVMFVarsMicrosoft
		}
		if cfg.Firmware != OVMF {
			// The Secure Boot images are built with SMM: the
			// variable store is writable only from SMM, on a q35.
			if machine != "q35" {
				return nil, fmt.Errorf("qemulab: Secure Boot needs machine q35, not %q", machine)
			}
			machine += ",smm=on"
			fw = append(fw, "-global", "driver=cfi.pflash01,property=secure,value=on")
		}
		varsCopy := filepath.Join(tmp, "OVMF_VARS.fd")
		if err := copyFile(varsCopy, vars); err != nil {
			return nil, err
		}
		fw = append(fw,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+code,
			"-drive", "if=pflash,format=raw,unit=1,file="+varsCopy)
	default:
		return nil, fmt.Errorf("qemulab: unknown firmware %v", cfg.Firmware)
	}
	if cfg.SMBIOSEntryPoint64 {
		machine += ",smbios-entry-point-type=64"
	}
	args := []string{
		"-machine", machine,
		"-accel", "tcg",
		"-cpu", "max",
		"-m", strconv.Itoa(mem),
		"-nodefaults", "-display", "none", "-vga", "none",
		"-serial", "stdio", "-monitor", "none",
	}
	if !cfg.Reboot {
		args = append(args, "-no-reboot")
	}
	if cfg.Image == nil {
		args = append(args, "-kernel", kernel, "-initrd", initrd, "-append", appendLine)
	} else {
		img, err := imageArgs(cfg, ImageInputs{
			Firmware:      cfg.Firmware,
			Kernel:        kernel,
			KernelRelease: l.KernelRelease,
			Initrd:        initrd,
			Append:        appendLine,
		}, tmp)
		if err != nil {
			return nil, err
		}
		args = append(args, img...)
	}
	if cfg.SMP != "" {
		args = append(args, "-smp", cfg.SMP)
	}
	args = append(args, fw...)
	if len(cfg.Disks) > maxDisks {
		return nil, fmt.Errorf("qemulab: %d disks, at most %d", len(cfg.Disks), maxDisks)
	}
	if len(cfg.Disks) > 0 {
		args = append(args, "-device", "ahci,id=labdisks")
	}
	for i, d := range cfg.Disks {
		if fi, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("qemulab: disk: %w", err)
		} else if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("qemulab: disk %s is not a regular file", d)
		}
		id := "labdisk" + strconv.Itoa(i)
		args = append(args, "-drive", "if=none,id="+id+",format=raw,file="+escapeOpt(d),
			"-device", "ide-hd,drive="+id+",bus=labdisks."+strconv.Itoa(i))
	}
	for _, d := range cfg.Devices {
		args = append(args, "-device", d)
	}
	for _, s := range cfg.SMBIOS {
		args = append(args, "-smbios", s)
	}
	return args, nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("qemulab: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("qemulab: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("qemulab: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("qemulab: %w", err)
	}
	return nil
}

// boundedBuffer keeps at most max bytes and calls full once when more arrive.
type boundedBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	max      int
	overflow bool
	full     func()
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); len(p) > room {
		b.buf.Write(p[:max(room, 0)])
		if !b.overflow {
			b.overflow = true
			b.full()
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
