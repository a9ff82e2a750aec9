package grub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// FS reads boot loader files below a root directory: a whole file system
// (with /boot and /boot/efi below it), a separate /boot partition, or an EFI
// system partition, so that the same code serves a host, a container with
// the host's /boot mounted elsewhere, and tests.
type FS struct {
	root string
}

// NewFS returns an FS rooted at root ("/" on a host).
func NewFS(root string) FS { return FS{root: root} }

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

// maxConfigSize bounds a grub.cfg read.
const maxConfigSize = 16 << 20

// readFile reads rel (slash-separated, relative to the root), following
// symbolic links inside the root: an absolute link target is taken
// relative to the root, as it would be on the host.
func (f FS) readFile(rel string, limit int64) ([]byte, error) {
	p := path.Clean("/" + rel)
	for i := 0; ; i++ {
		full := filepath.Join(f.root, filepath.FromSlash(p))
		fi, err := os.Lstat(full)
		if err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		if i >= 8 {
			return nil, fmt.Errorf("grub: %s: too many symbolic links", rel)
		}
		t, err := os.Readlink(full)
		if err != nil {
			return nil, err
		}
		if path.IsAbs(t) {
			p = path.Clean(t)
		} else {
			p = path.Clean(path.Join(path.Dir(p), t))
		}
	}
	file, err := os.Open(filepath.Join(f.root, filepath.FromSlash(p)))
	if err != nil {
		return nil, err
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("grub: %s: %w: larger than %d bytes", rel, ErrTooComplex, limit)
	}
	return b, nil
}

func (f FS) glob(pattern string) []string {
	m, _ := filepath.Glob(filepath.Join(f.root, filepath.FromSlash(pattern)))
	out := make([]string, 0, len(m))
	for _, x := range m {
		r, err := filepath.Rel(f.root, x)
		if err == nil {
			out = append(out, filepath.ToSlash(r))
		}
	}
	sort.Strings(out)
	return out
}

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
		return f.readFile(p, min(limit, maxConfigSize))
	}
	cfg, perr := ParseConfig(data, ConfigOptions{Env: env, BLS: bls, Platform: platform, Path: rel, ReadFile: readSourced})
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
		if fi, err := os.Stat(filepath.Join(f.root, filepath.FromSlash(c))); err == nil && fi.Mode().IsRegular() {
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
		data, err := f.readFile(c, 64<<10)
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
			data, err := f.readFile(m, maxSmallFile)
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
		data, err := f.readFile(p, maxSmallFile)
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
	data, err := f.readFile("etc/default/grub", maxSmallFile)
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
