package sysv

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/bootinfo/bootinfo/internal/hostfile"
	"golang.org/x/sys/unix"
)

// ErrBadLink is wrapped by the error for an entry of /etc/rcN.d named like
// a start or kill link that does not lead to an init script: not a symbolic
// link, one into another directory, a dangling one, a loop.
var ErrBadLink = errors.New("sysv: rc link does not lead to an init script")

// Service is one init script in /etc/init.d with its LSB header and its rc links.
type Service struct {
	Name           string   `json:"name"`            // script file name
	Description    string   `json:"description"`     // Short-Description (or Description's first line)
	Provides       []string `json:"provides"`        // boot facilities, from Provides
	StartRunlevels []string `json:"start_runlevels"` // Default-Start, e.g. ["2","3","4","5"]
	StopRunlevels  []string `json:"stop_runlevels"`  // Default-Stop
	Links          []Link   `json:"links"`           // what /etc/rc?.d actually holds for it
	Error          string   `json:"error,omitempty"` // this script's header problem, if any
}

// Link is one start or kill link in /etc/rcN.d.
type Link struct {
	Runlevel string `json:"runlevel"` // "0".."6", "S"
	Kind     string `json:"kind"`     // "start" (S##) or "kill" (K##)
	Priority int    `json:"priority"` // the two digits: init runs links in this order
	Name     string `json:"name"`     // link file name, e.g. S01ssh
}

// Link kinds.
const (
	KindStart = "start"
	KindKill  = "kill"
)

const initDir = "etc/init.d"

// Runlevels are the runlevels whose /etc/rcN.d directories List reads, in
// the order it reports links.
var Runlevels = []string{"0", "1", "2", "3", "4", "5", "6", "S"}

// List reads root's /etc/init.d and /etc/rc{0..6,S}.d. problems: one error per bad file/link.
//
// Services come sorted by name, each one's links by runlevel (as in
// Runlevels) and name. A root without /etc/init.d or rcN.d directories has
// no services and no problem; rc links there without /etc/init.d are
// problems. A script whose header is missing or malformed, or that cannot be
// read, is listed with Error set, and the same error, naming its path, is
// among problems. A link that leads to no listed script is only a problem.
func List(root string) (services []Service, problems []error) {
	r := hostfile.NewRoot(root)
	ents, err := r.ReadDir(initDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		problems = append(problems, fmt.Errorf("sysv: %w", err))
	}
	buf := make([]byte, MaxHeaderBytes)
	byName := make(map[string]int, len(ents))
	for _, e := range ents {
		name := e.Name()
		if skipName(name) {
			continue
		}
		rel := initDir + "/" + name
		h, err := readHeader(r, rel, buf)
		s := Service{
			Name:           name,
			Description:    h.ShortDescription,
			Provides:       nonNil(h.Provides),
			StartRunlevels: nonNil(h.DefaultStart),
			StopRunlevels:  nonNil(h.DefaultStop),
			Links:          []Link{},
		}
		if s.Description == "" {
			s.Description, _, _ = strings.Cut(h.Description, "\n")
		}
		if err != nil {
			s.Error = err.Error()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				problems = append(problems, fmt.Errorf("sysv: %w", err))
			} else {
				problems = append(problems, fmt.Errorf("%s: %w", r.Path(rel), err))
			}
		}
		byName[name] = len(services)
		services = append(services, s)
	}
	lr := &linkReader{r: r, resolved: map[string]string{}}
	lr.initDir, lr.initErr = r.Resolve(initDir)
	for _, rl := range Runlevels {
		dir := "etc/rc" + rl + ".d"
		ents, err := r.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, fmt.Errorf("sysv: %w", err))
			}
			continue
		}
		d, err := r.OpenDir(dir)
		if err != nil {
			problems = append(problems, fmt.Errorf("sysv: %w", err))
			continue
		}
		for _, e := range ents {
			kind, prio, ok := parseLinkName(e.Name())
			if !ok {
				continue
			}
			script, err := lr.target(d, dir, e.Name())
			if err == nil {
				i, ok := byName[script]
				if ok {
					services[i].Links = append(services[i].Links, Link{Runlevel: rl, Kind: kind, Priority: prio, Name: e.Name()})
					continue
				}
				err = lr.notListed(script)
			}
			problems = append(problems, fmt.Errorf("%s: %w", r.Path(dir+"/"+e.Name()), err))
		}
		d.Close()
	}
	return services, problems
}

// Enabled says whether s starts in runlevel rl: an S link there.
func (s Service) Enabled(rl string) bool {
	for _, l := range s.Links {
		if l.Runlevel == rl && l.Kind == KindStart {
			return true
		}
	}
	return false
}

// readHeader reads the beginning of the script rel, up to len(buf) bytes,
// and parses its header.
func readHeader(r hostfile.Root, rel string, buf []byte) (Header, error) {
	f, err := r.Open(rel)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Header{}, &fs.PathError{Op: "read", Path: r.Path(rel), Err: err}
	}
	h, err := ParseHeader(buf[:n])
	if err != nil && n == len(buf) {
		err = fmt.Errorf("%w (only the first %s are read)", err, hostfile.FormatSize(int64(len(buf))))
	}
	return h, err
}

// skipName reports whether a file in /etc/init.d is not a service: see the
// package documentation.
func skipName(name string) bool {
	switch name {
	case "README", "skeleton", "rc", "rcS", "functions":
		return true
	}
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return true
	}
	for _, suf := range backupSuffixes {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// backupSuffixes are the suffixes dpkg, ucf, rpm and editors give the copies
// they leave beside a configuration file.
var backupSuffixes = []string{
	".dpkg-old", ".dpkg-new", ".dpkg-dist", ".dpkg-bak", ".dpkg-tmp", ".dpkg-remove",
	".ucf-old", ".ucf-new", ".ucf-dist",
	".rpmnew", ".rpmsave", ".rpmorig",
	".swp", ".bak", ".orig", ".rej",
}

// parseLinkName splits a link name SNNname or KNNname.
func parseLinkName(name string) (kind string, prio int, ok bool) {
	if len(name) < 4 || name[1] < '0' || name[1] > '9' || name[2] < '0' || name[2] > '9' {
		return "", 0, false
	}
	switch name[0] {
	case 'S':
		kind = KindStart
	case 'K':
		kind = KindKill
	default:
		return "", 0, false
	}
	return kind, int(name[1]-'0')*10 + int(name[2]-'0'), true
}

// linkReader follows rc links one step, inside the root, to the script they
// name, caching the directories it resolves.
type linkReader struct {
	r        hostfile.Root
	initDir  string // /etc/init.d resolved inside the root
	initErr  error
	resolved map[string]string
	buf      [4096]byte // PATH_MAX: a longer target is cut, and leads nowhere
}

func (lr *linkReader) resolve(dir string) (string, error) {
	if d, ok := lr.resolved[dir]; ok {
		return d, nil
	}
	d, err := lr.r.Resolve(dir)
	if err != nil {
		return "", err
	}
	lr.resolved[dir] = d
	return d, nil
}

// target returns the name of the script in /etc/init.d that the link name in
// dir, open as d, points to. Only the link itself is read, not what its target may link
// to in turn: /etc/init.d/name may itself be a link (to upstart-job, say),
// and it is that name init runs.
func (lr *linkReader) target(d *os.File, dir, name string) (string, error) {
	n, err := unix.Readlinkat(int(d.Fd()), name, lr.buf[:])
	if err == unix.EINVAL {
		return "", fmt.Errorf("%w: not a symbolic link", ErrBadLink)
	}
	if err != nil {
		return "", fmt.Errorf("%w: readlink: %w", ErrBadLink, err)
	}
	t := string(lr.buf[:n])
	if !path.IsAbs(t) {
		rd, err := lr.resolve(dir)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrBadLink, err)
		}
		t = path.Join(rd, t)
	}
	tdir, base := path.Split(path.Clean(t))
	if base == "" || base == "." || base == ".." {
		return "", fmt.Errorf("%w: points to %s", ErrBadLink, t)
	}
	if lr.initErr != nil {
		return "", fmt.Errorf("%w: %w", ErrBadLink, lr.initErr)
	}
	td, err := lr.resolve(tdir)
	if err != nil {
		return "", fmt.Errorf("%w: points to %s: %w", ErrBadLink, t, err)
	}
	if td != lr.initDir {
		return "", fmt.Errorf("%w: points to %s, outside /%s", ErrBadLink, t, initDir)
	}
	return base, nil
}

// notListed explains why a link to /etc/init.d/script has no service.
func (lr *linkReader) notListed(script string) error {
	p := "/" + initDir + "/" + script
	if _, err := lr.r.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist", ErrBadLink, p)
	}
	return fmt.Errorf("%w: %s is not an init script", ErrBadLink, p)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clip(s)
}
