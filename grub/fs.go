package grub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/bootinfo/bootinfo/grub/script"
	"github.com/bootinfo/bootinfo/internal/hostfile"
)

// FS reads boot loader files below a root directory: a whole file system
// (with /boot and /boot/efi below it), a separate /boot partition, or an EFI
// system partition, so that the same code serves a host, a container with
// the host's /boot mounted elsewhere, and tests.
//
// Every path resolves inside the root (see package hostfile): a symbolic
// link, absolute or relative, to a directory or a file, means the same path
// below the root, and ".." stops at the root. Every read is bounded, and a
// FIFO or device where a file is expected is an error, never a blocked read.
type FS struct {
	root hostfile.Root
	ctx  context.Context
	seen *Seen
}

// NewFS returns an FS rooted at root ("/" on a host).
func NewFS(root string) FS { return FS{root: hostfile.NewRoot(root)} }

// WithContext returns f, whose evaluations of GRUB scripts stop when ctx is
// done (the error is a *TooComplexError wrapping ctx's error).
func (f FS) WithContext(ctx context.Context) FS {
	f.ctx = ctx
	return f
}

// WithSeen returns f, which records in s every file and directory it looks
// at, so that s.Unchanged tells whether reading them again can give
// another result.
func (f FS) WithSeen(s *Seen) FS {
	f.seen = s
	return f
}

// Places grub.cfg is looked for, in order: a whole file system, a separate
// /boot partition, then EFI system partitions (whose grub.cfg is often a
// stub that loads one of the others with configfile).
var grubConfigGlobs = []string{
	"boot/grub/grub.cfg",
	"boot/grub2/grub.cfg",
	"grub/grub.cfg",
	"grub2/grub.cfg",
	"boot/efi/EFI/*/grub.cfg",
	"efi/EFI/*/grub.cfg",
	"EFI/*/grub.cfg",
}

// Places BLS entries are looked for: $BOOT (the /boot partition, or the
// root file system's /boot) and the EFI system partition.
var blsDirs = []string{
	"boot/loader/entries",
	"loader/entries",
	"boot/efi/loader/entries",
	"efi/loader/entries",
}

var loaderConfPaths = []string{
	"boot/efi/loader/loader.conf",
	"efi/loader/loader.conf",
	"boot/loader/loader.conf",
	"loader/loader.conf",
}

// maxConfigSize bounds a grub.cfg read, and one a source command reads.
const maxConfigSize = hostfile.LimitGrubCfg

// readFile reads rel (slash-separated, relative to the root) inside the
// root, up to limit bytes. The file's identity is recorded before it is
// read, so that a change made while it is read shows next time.
func (f FS) readFile(rel string, limit int64) ([]byte, error) {
	f.seen.record(f.root, rel)
	return f.root.ReadFile(rel, limit)
}

// stat returns what rel is, inside the root, and records it.
func (f FS) stat(rel string) (fs.FileInfo, error) {
	return f.seen.record(f.root, rel)
}

// glob returns the paths below the root that pattern (slash-separated,
// relative to the root, path.Match syntax in each component) matches, in
// order. Directories are listed inside the root, so that no symbolic link
// takes a match out of it.
func (f FS) glob(pattern string) []string {
	parts := strings.Split(path.Clean(pattern), "/")
	cur := []string{""}
	for i, part := range parts {
		last := i == len(parts)-1
		var next []string
		for _, dir := range cur {
			join := func(name string) string {
				if dir == "" {
					return name
				}
				return dir + "/" + name
			}
			if !hasMeta(part) {
				p := join(part)
				if last {
					if _, err := f.stat(p); err != nil {
						continue
					}
				}
				next = append(next, p)
				continue
			}
			list := dir
			if list == "" {
				list = "."
			}
			f.seen.record(f.root, list)
			ents, err := f.root.ReadDir(list)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if ok, _ := path.Match(part, e.Name()); ok {
					next = append(next, join(e.Name()))
				}
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	sort.Strings(cur)
	return cur
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// Load reads the boot loader configuration: GRUB's when there is a
// grub.cfg, systemd-boot's when there is a loader.conf or loader entries
// and no grub.cfg. It returns ErrNoConfig when there is neither.
func (f FS) Load(platform string) (*Config, error) {
	cfg, err := f.GRUB(platform)
	if !errors.Is(err, ErrNoConfig) {
		return cfg, err
	}
	return f.SystemdBoot()
}

// GRUB finds and parses grub.cfg with the grubenv and BLS entries it uses,
// following an EFI stub's configfile to the real configuration. platform
// is GRUB's grub_platform ("efi", "pc") if the caller knows it, else "".
func (f FS) GRUB(platform string) (*Config, error) {
	var first string
	for _, g := range grubConfigGlobs {
		if m := f.glob(g); len(m) > 0 {
			first = m[0]
			break
		}
	}
	if first == "" {
		return nil, ErrNoConfig
	}
	return f.GRUBFrom(first, platform)
}

// GRUBFrom parses the grub.cfg at rel (relative to the root; for example
// the one beside the EFI binary a boot entry starts) and follows top-level
// configfile commands, up to four, to the configuration that defines the
// menu.
func (f FS) GRUBFrom(rel, platform string) (*Config, error) {
	var stubWarnings []string
	cur := path.Clean(strings.TrimPrefix(rel, "/"))
	for hops := 0; ; hops++ {
		cfg, err := f.parseGRUBAt(cur, platform)
		if cfg == nil {
			return nil, err
		}
		if cfg.ConfigFile == "" || len(cfg.Entries) > 0 || hops >= 4 {
			cfg.Warnings = append(stubWarnings, cfg.Warnings...)
			return cfg, err
		}
		next := f.findConfigFile(cfg.ConfigFile, cur)
		if next == "" {
			cfg.warn("configfile " + cfg.ConfigFile + ": not found below the root")
			return cfg, err
		}
		stubWarnings = append(stubWarnings, cur+": loads "+next+" with configfile")
		cur = next
	}
}

func (f FS) parseGRUBAt(rel, platform string) (*Config, error) {
	data, err := f.readFile(rel, maxConfigSize)
	if err != nil {
		return nil, fmt.Errorf("grub: reading %s: %w", rel, err)
	}
	env, envPath, envErr := f.envNear(path.Dir(rel))
	bls, blsErr := f.blsEntries()
	SortBLSGrub(bls)
	readSourced := func(grubPath string, limit int64) ([]byte, error) {
		p := f.findConfigFile(grubPath, rel)
		if p == "" {
			return nil, fmt.Errorf("not found below the root: %w", fs.ErrNotExist)
		}
		b, err := f.readFile(p, min(limit, maxConfigSize))
		if errors.Is(err, hostfile.ErrTooLarge) && limit < maxConfigSize {
			// Larger than what is left of the bytes sources may read.
			return nil, fmt.Errorf("%w: %w", script.ErrTooComplex, err)
		}
		return b, err
	}
	cfg, perr := ParseConfig(data, ConfigOptions{Env: env, BLS: bls, Platform: platform, Path: rel, ReadFile: readSourced, Context: f.ctx})
	if envErr != nil && !errors.Is(envErr, fs.ErrNotExist) {
		cfg.warn(envPath + ": " + envErr.Error())
	}
	if blsErr != nil {
		cfg.warn(blsErr.Error())
	}
	return cfg, perr
}

// findConfigFile maps a configfile argument ("($root)/boot/grub2/grub.cfg",
// "$prefix/grub.cfg" after set prefix=($dev)/grub2) to a file below the
// root.
func (f FS) findConfigFile(target, from string) string {
	p := withoutDevice(target)
	if strings.Contains(p, "${") {
		return ""
	}
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	cands := []string{p, "boot/" + p}
	if rest, ok := strings.CutPrefix(p, "boot/"); ok {
		cands = append(cands, rest)
	}
	for _, c := range cands {
		if c == from {
			continue
		}
		if fi, err := f.stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

// Env reads the grubenv GRUB's load_env would read: the one beside
// grub.cfg, else the usual places. It returns fs.ErrNotExist when there is
// none.
func (f FS) Env() (*Env, string, error) {
	return f.envNear("")
}

func (f FS) envNear(dir string) (*Env, string, error) {
	var cands []string
	if dir != "" && dir != "." {
		cands = append(cands, dir+"/grubenv")
	}
	cands = append(cands, "boot/grub/grubenv", "boot/grub2/grubenv", "grub/grubenv", "grub2/grubenv")
	cands = append(cands, f.glob("boot/efi/EFI/*/grubenv")...)
	cands = append(cands, f.glob("EFI/*/grubenv")...)
	for _, c := range cands {
		data, err := f.readFile(c, hostfile.LimitConfig)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, c, err
		}
		env, err := ParseEnv(data)
		return env, c, err
	}
	return nil, "", fs.ErrNotExist
}

// blsEntries reads every loader/entries/*.conf below the root, unsorted.
func (f FS) blsEntries() ([]BLSEntry, error) {
	var out []BLSEntry
	var errs []error
	seen := map[string]bool{}
	for _, d := range blsDirs {
		for _, m := range f.glob(d + "/*.conf") {
			data, err := f.readFile(m, hostfile.LimitConfig)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			id := strings.TrimSuffix(path.Base(m), ".conf")
			if seen[id] {
				continue
			}
			seen[id] = true
			e, err := ParseBLSEntry(id, data)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m, err))
			}
			out = append(out, e)
		}
	}
	return out, errors.Join(errs...)
}

// BLSEntries reads the Boot Loader Specification entries below the root,
// in file name order.
func (f FS) BLSEntries() ([]BLSEntry, error) { return f.blsEntries() }

// SystemdBoot reads systemd-boot's loader.conf and entries. It returns
// ErrNoConfig when there is neither.
func (f FS) SystemdBoot() (*Config, error) {
	var lc *LoaderConf
	var lcPath string
	var lcErr error
	for _, p := range loaderConfPaths {
		data, err := f.readFile(p, hostfile.LimitConfig)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			lcErr = err
			break
		}
		lc, lcErr = ParseLoaderConf(data)
		lcPath = p
		break
	}
	entries, err := f.blsEntries()
	if lc == nil && len(entries) == 0 && lcErr == nil {
		return nil, ErrNoConfig
	}
	cfg := SystemdBootConfig(lc, entries)
	cfg.ConfigPath = lcPath
	if lcErr != nil {
		cfg.warn(lcErr.Error())
	}
	if err != nil {
		cfg.warn(err.Error())
	}
	return cfg, nil
}

// Defaults reads etc/default/grub.
func (f FS) Defaults() (*Defaults, error) {
	data, err := f.readFile("etc/default/grub", hostfile.LimitConfig)
	if err != nil {
		return nil, fmt.Errorf("grub: reading etc/default/grub: %w", err)
	}
	return ParseDefaults(data)
}

// InstalledKernels lists the kernel images below the root, as paths from
// the root starting with "/": /boot/vmlinuz-*, and /vmlinuz-* when the root
// is a separate /boot partition. Pass them to CheckKernel.
func (f FS) InstalledKernels() ([]string, error) {
	var out []string
	for _, g := range []string{"boot/vmlinuz-*", "boot/vmlinux-*", "vmlinuz-*", "vmlinux-*"} {
		for _, m := range f.glob(g) {
			out = append(out, "/"+m)
		}
	}
	return out, nil
}
