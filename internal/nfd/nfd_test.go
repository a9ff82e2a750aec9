package nfd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"
)

// nfdLabels reads a feature file as NFD documents it, and returns the node
// labels NFD would create from it at time now. It is written from the
// documentation, not from NFD's code:
//
// docs/usage/customization-guide.md, "Local feature source":
//   - "The feature file size limit it 64kB. The feature file will be
//     ignored if the size limit is exceeded."
//   - "features in simple key-value pairs, separated by newlines:
//     <key>[=<value>]"; "The label value defaults to true, if not
//     specified."; "Label namespace must be specified with
//     <namespace>/<name>[=<value>]."
//   - "Comment lines (starting with #) are ignored."
//   - "# +expiry-time=2023-07-29T11:22:33Z" "defines date when its content
//     expires / is ignored", and "the expiry-time value would stay the
//     same during the processing of the feature file until another
//     expiry-time directive is encountered"; "The time format supported is
//     RFC3339."
//   - "# +no-label" "causes the feature to be excluded from the
//     local.label Feature and a node label not to be generated" (for the
//     next feature).
//   - "NFD ignores dot files".
//
// docs/reference/master-commandline-reference.md, "-deny-label-ns":
// "kubernetes.io and its sub-namespaces are always denied", but
// "feature.node.kubernetes.io and profile.node.kubernetes.io and their
// sub-namespaces are always allowed".
//
// Kubernetes, "Labels and Selectors", "Syntax and character set": what a
// label key and value may be, which k8s.io/apimachinery's
// validation.IsQualifiedName and IsValidLabelValue implement; a label that
// is not one is dropped (and NFD's other labels kept).
//
// Lines are trimmed of surrounding white space first (the documentation's
// examples have none; the checker is lenient there, the writer is not).
// dropped lists the lines with no label made from them, with why.
func nfdLabels(t *testing.T, name string, content []byte, now time.Time) (labels map[string]string, dropped []string) {
	t.Helper()
	if strings.HasPrefix(name, ".") {
		return nil, []string{"dot file"}
	}
	if len(content) > 64*1024 {
		return nil, []string{"larger than 64kB"}
	}
	labels = map[string]string{}
	var expiry time.Time // none: never expires
	noLabel := false
	for _, line := range strings.Split(string(content), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			directive, isDirective := strings.CutPrefix(line, "# +")
			switch {
			case !isDirective:
			case strings.HasPrefix(directive, "expiry-time="):
				v := strings.TrimPrefix(directive, "expiry-time=")
				at, err := time.Parse(time.RFC3339, v)
				if err != nil {
					t.Errorf("%s: expiry-time %q is not RFC 3339: %v", name, v, err)
					continue
				}
				expiry = at
			case directive == "no-label":
				noLabel = true
			case directive == "no-feature":
			default:
				t.Errorf("%s: unknown directive %q (a comment must not start with \"# +\")", name, line)
			}
			continue
		}
		if !expiry.IsZero() && expiry.Before(now) {
			dropped = append(dropped, line+": expired")
			continue
		}
		key, value, hasValue := strings.Cut(line, "=")
		if !hasValue {
			value = "true"
		}
		if noLabel {
			noLabel = false
			dropped = append(dropped, line+": no-label")
			continue
		}
		if why := k8sLabelProblem(key, value); why != "" {
			dropped = append(dropped, line+": "+why)
			continue
		}
		labels[key] = value
	}
	return labels, dropped
}

// k8sLabelProblem says why NFD would not make label key=value, by the
// rules nfdLabels cites, with Kubernetes' own validation.
func k8sLabelProblem(key, value string) string {
	if errs := k8svalidation.IsQualifiedName(key); len(errs) > 0 {
		return strings.Join(errs, "; ")
	}
	ns, _, ok := strings.Cut(key, "/")
	if !ok {
		return "no namespace"
	}
	if ns == "kubernetes.io" || strings.HasSuffix(ns, ".kubernetes.io") {
		allowed := false
		for _, a := range []string{"feature.node.kubernetes.io", "profile.node.kubernetes.io"} {
			allowed = allowed || ns == a || strings.HasSuffix(ns, "."+a)
		}
		if !allowed {
			return "denied namespace"
		}
	}
	if errs := k8svalidation.IsValidLabelValue(value); len(errs) > 0 {
		return strings.Join(errs, "; ")
	}
	return ""
}

// labelCases are keys and values at and past the rules' edges.
var labelCases = []Label{
	{"bootinfo.feature.node.kubernetes.io/firmware.mode", "uefi"},
	{"feature.node.kubernetes.io/x", "true"},
	{"profile.node.kubernetes.io/x", "1"},
	{"a.profile.node.kubernetes.io/x", "1"},
	{"example.com/x", ""},
	{"example.com/x", "A-b_c.9"},
	{"example.com/" + strings.Repeat("n", 63), "v"},
	{"example.com/" + strings.Repeat("n", 64), "v"},
	{"example.com/x", strings.Repeat("v", 63)},
	{"example.com/x", strings.Repeat("v", 64)},
	{strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61) + "/x", "v"},
	{strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 62) + "/x", "v"},
	{"x", "v"},
	{"/x", "v"},
	{"example.com/", "v"},
	{"example.com/x/y", "v"},
	{"Example.com/x", "v"},
	{"-example.com/x", "v"},
	{"example-.com/x", "v"},
	{"example..com/x", "v"},
	{"example.com./x", "v"},
	{"ex_ample.com/x", "v"},
	{"kubernetes.io/x", "v"},
	{"node.kubernetes.io/x", "v"},
	{"feature.node.kubernetes.io.evil/x", "v"},
	{"notfeature.node.kubernetes.io/x", "v"},
	{"k8s.io/x", "v"},
	{"example.com/-x", "v"},
	{"example.com/x-", "v"},
	{"example.com/x", "-v"},
	{"example.com/x", "v."},
	{"example.com/x", "a b"},
	{"example.com/x", "a=b"},
	{"example.com/x", "é"},
	{"example.com/x y", "v"},
	{"example.com/x", "v\n"},
}

// TestValidateLabelAgreesWithKubernetes holds ValidateLabel to Kubernetes'
// own validation plus the namespaces nfd-master denies.
func TestValidateLabelAgreesWithKubernetes(t *testing.T) {
	for _, c := range labelCases {
		checkAgreement(t, c.Key, c.Value)
	}
}

func checkAgreement(t *testing.T, key, value string) {
	t.Helper()
	err := ValidateLabel(key, value)
	why := k8sLabelProblem(key, value)
	if (err == nil) != (why == "") {
		t.Errorf("ValidateLabel(%q, %q) = %v; Kubernetes and NFD: %q", key, value, err, why)
	}
	if err != nil && !errors.Is(err, ErrInvalidLabel) {
		t.Errorf("ValidateLabel(%q, %q) = %v, not an ErrInvalidLabel", key, value, err)
	}
}

// FuzzValidateLabel: for any key and value, ValidateLabel accepts exactly
// what Kubernetes and nfd-master accept.
func FuzzValidateLabel(f *testing.F) {
	for _, c := range labelCases {
		f.Add(c.Key, c.Value)
	}
	f.Fuzz(checkAgreement)
}

// TestRenderedFileReadsAsNFDDocuments renders labels, expiry and a comment
// that tries to be a directive, and reads them back with the documented
// rules: every label comes back as given, none is dropped, and once the
// expiry has passed none is left.
func TestRenderedFileReadsAsNFDDocuments(t *testing.T) {
	labels := []Label{
		{"bootinfo.feature.node.kubernetes.io/secure-boot.state", "enabled"},
		{"bootinfo.feature.node.kubernetes.io/firmware.mode", "uefi"},
		{"bootinfo.feature.node.kubernetes.io/reboot-required", "false"},
		{"example.com/empty", ""},
	}
	body, err := Body(labels)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	expires := now.Add(time.Hour)
	content := Render("Written by a test.\n+expiry-time=2000-01-01T00:00:00Z\n\nEnd.", expires, body)
	t.Logf("rendered:\n%s", content)

	got, dropped := nfdLabels(t, "bootinfo", content, now)
	want := map[string]string{}
	for _, l := range labels {
		want[l.Key] = l.Value
	}
	if d := cmp.Diff(want, got); d != "" || len(dropped) > 0 {
		t.Errorf("labels NFD reads (-want +got):\n%s\ndropped: %v", d, dropped)
	}
	if !strings.HasPrefix(string(content), "# Written by a test.\n") {
		t.Errorf("the comment does not head the file:\n%s", content)
	}
	got, dropped = nfdLabels(t, "bootinfo", content, expires.Add(time.Second))
	if len(got) != 0 || len(dropped) != len(labels) {
		t.Errorf("after the expiry NFD reads %v (dropped %v), want nothing", got, dropped)
	}
	// Without an expiry, the labels never expire.
	got, _ = nfdLabels(t, "bootinfo", Render("x", time.Time{}, body), now.AddDate(100, 0, 0))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("without expiry (-want +got):\n%s", d)
	}
}

// TestBodyLeavesOutWhatNFDWouldDrop: a label NFD would drop, or a key given
// twice, is not written, the error names it, and the others are written,
// sorted.
func TestBodyLeavesOutWhatNFDWouldDrop(t *testing.T) {
	body, err := Body([]Label{
		{"example.com/b", "2"},
		{"kubernetes.io/hostname", "evil"},
		{"example.com/a", "1"},
		{"example.com/c", "not valid"},
		{"example.com/b", "3"},
	})
	if want := "example.com/a=1\nexample.com/b=2\n"; string(body) != want {
		t.Errorf("Body = %q, want %q", body, want)
	}
	if !errors.Is(err, ErrInvalidLabel) {
		t.Fatalf("error %v, want ErrInvalidLabel", err)
	}
	for _, s := range []string{"kubernetes.io/hostname", "example.com/c", `"example.com/b": given twice`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
	got, dropped := nfdLabels(t, "f", body, time.Now())
	if len(got) != 2 || len(dropped) != 0 {
		t.Errorf("NFD reads %v, drops %v", got, dropped)
	}
}
