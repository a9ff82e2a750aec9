package nfd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// MaxFileSize is the largest feature file nfd-worker reads; a larger one
// is ignored whole.
const MaxFileSize = 65536

// Label is one node label: a line Key=Value of a feature file.
type Label struct {
	Key   string
	Value string
}

// ErrInvalidLabel is wrapped by the errors of labels NFD would drop.
var ErrInvalidLabel = errors.New("nfd: invalid label")

const (
	maxPrefix = 253 // a DNS subdomain
	maxName   = 63  // a label name, and a label value
)

// ValidateLabel returns an error wrapping ErrInvalidLabel when NFD would
// not create the label: a key that is not prefix/name, a prefix that is
// not a DNS subdomain or that nfd-master denies, a name or a value that is
// not a Kubernetes label name or value (see the package documentation).
func ValidateLabel(key, value string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q=%q: %s", ErrInvalidLabel, key, value, fmt.Sprintf(format, args...))
	}
	prefix, name, ok := strings.Cut(key, "/")
	if !ok {
		return bad("no namespace prefix")
	}
	if why := checkSubdomain(prefix); why != "" {
		return bad("prefix %s", why)
	}
	if deniedPrefix(prefix) {
		return bad("nfd-master denies the namespace %s", prefix)
	}
	if why := checkName(name); why != "" {
		return bad("name %s", why)
	}
	if value != "" {
		if why := checkName(value); why != "" {
			return bad("value %s", why)
		}
	}
	return nil
}

// checkSubdomain says why s is not a DNS subdomain (RFC 1123): at most
// 253 characters, dot-separated labels of lower-case letters, digits and
// -, each starting and ending with a letter or digit. "" when it is one.
func checkSubdomain(s string) string {
	if s == "" {
		return "is empty"
	}
	if len(s) > maxPrefix {
		return fmt.Sprintf("is longer than %d characters", maxPrefix)
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return "has an empty DNS label"
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			case c == '-' && i > 0 && i < len(part)-1:
			default:
				return fmt.Sprintf("has %q where a DNS subdomain allows lower-case letters and digits, and - inside", c)
			}
		}
	}
	return ""
}

// checkName says why s is not a label name or value: 1 to 63 characters,
// letters, digits, -, _ and ., starting and ending with a letter or
// digit. "" when it is one.
func checkName(s string) string {
	if s == "" {
		return "is empty"
	}
	if len(s) > maxName {
		return fmt.Sprintf("is longer than %d characters", maxName)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '_' || c == '.') && i > 0 && i < len(s)-1:
		default:
			return fmt.Sprintf("has %q where letters and digits, and -_. inside, are allowed", c)
		}
	}
	return ""
}

// deniedPrefix reports whether nfd-master refuses labels in namespace ns
// whatever its flags: kubernetes.io and its subdomains, but for
// feature.node.kubernetes.io, profile.node.kubernetes.io and theirs.
func deniedPrefix(ns string) bool {
	if ns != "kubernetes.io" && !strings.HasSuffix(ns, ".kubernetes.io") {
		return false
	}
	for _, allowed := range []string{"feature.node.kubernetes.io", "profile.node.kubernetes.io"} {
		if ns == allowed || strings.HasSuffix(ns, "."+allowed) {
			return false
		}
	}
	return true
}

// Body renders labels as the lines of a feature file, sorted by key. A
// label NFD would drop (ValidateLabel) or a key given twice is left out,
// and the error says which; the lines of the others are returned with it.
func Body(labels []Label) ([]byte, error) {
	sorted := slices.Clone(labels)
	slices.SortStableFunc(sorted, func(a, b Label) int { return strings.Compare(a.Key, b.Key) })
	var buf bytes.Buffer
	var errs []error
	for i, l := range sorted {
		if i > 0 && sorted[i-1].Key == l.Key {
			errs = append(errs, fmt.Errorf("%w %q: given twice", ErrInvalidLabel, l.Key))
			continue
		}
		if err := ValidateLabel(l.Key, l.Value); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(&buf, "%s=%s\n", l.Key, l.Value)
	}
	return buf.Bytes(), errors.Join(errs...)
}

// Render returns a whole feature file: comment (each of its lines made a
// comment), then, unless expires is zero, the expiry-time directive that
// makes nfd-worker drop the labels after expires, then body (see Body).
func Render(comment string, expires time.Time, body []byte) []byte {
	var buf bytes.Buffer
	for _, line := range strings.Split(strings.TrimRight(comment, "\n"), "\n") {
		// "# +" starts a directive; a comment must never read as one.
		line = strings.TrimLeft(strings.TrimSpace(line), "+")
		if line == "" {
			buf.WriteString("#\n")
			continue
		}
		buf.WriteString("# " + line + "\n")
	}
	if !expires.IsZero() {
		buf.WriteString("# +expiry-time=" + expires.UTC().Format(time.RFC3339) + "\n")
	}
	buf.Write(body)
	return buf.Bytes()
}

// WriteFile replaces dir/name with content atomically: it writes a dot
// file in dir (which nfd-worker skips), syncs it, and renames it over
// name, so a reader sees the old file or the new one, never a part. The
// file is made readable by all (0644): it holds nothing secret, and
// nfd-worker may run as another user. Content larger than MaxFileSize is
// refused, since nfd-worker would ignore it.
func WriteFile(dir, name string, content []byte) (err error) {
	if name == "" || strings.HasPrefix(name, ".") || strings.ContainsRune(name, '/') {
		return fmt.Errorf("nfd: feature file name %q: must not be empty, start with a dot or hold a slash", name)
	}
	if len(content) > MaxFileSize {
		return fmt.Errorf("nfd: feature file of %d bytes is larger than nfd-worker reads (%d)", len(content), MaxFileSize)
	}
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return writeError(path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = writeError(path, err)
		}
	}()
	if _, err = f.Write(content); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeError says what failed writing path, without the temporary file's
// random name: the same fault gives the same message every time, so a
// caller can log it once.
func writeError(path string, err error) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = fmt.Errorf("%s: %w", pe.Op, pe.Err)
	case errors.As(err, &le):
		err = fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return fmt.Errorf("nfd: writing %s: %w", path, err)
}
