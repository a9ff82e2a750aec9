package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const k8sDir = "kubernetes"

// kustomization is the part of kustomize's Kustomization this directory
// uses; decoding strictly into it rejects any field the tests do not know.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
}

// podMonitor is the subset of the Prometheus Operator's PodMonitor
// (monitoring.coreos.com/v1) these manifests use, with the operator's field
// names, so that a misspelt or misplaced field fails the strict decode
// instead of being silently dropped by the operator.
type podMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		JobLabel          string               `json:"jobLabel"`
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector"`
		PodMetricsEndpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Scheme        string `json:"scheme,omitempty"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
			Relabelings   []struct {
				Action       string   `json:"action"`
				SourceLabels []string `json:"sourceLabels"`
				Separator    string   `json:"separator,omitempty"`
				TargetLabel  string   `json:"targetLabel"`
				Regex        string   `json:"regex,omitempty"`
				Replacement  string   `json:"replacement,omitempty"`
			} `json:"relabelings"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// objects are the decoded manifests, by kind.
type objects struct {
	namespaces      []*corev1.Namespace
	serviceAccounts []*corev1.ServiceAccount
	daemonSets      []*appsv1.DaemonSet
	services        []*corev1.Service
	podMonitors     []*podMonitor
}

// splitYAML splits a multi-document YAML stream at its "---" lines,
// dropping documents that hold only comments or nothing.
func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for line := range bytes.Lines(data) {
		if string(bytes.TrimRight(line, " \r\n")) == "---" {
			flush()
			continue
		}
		cur.Write(line)
	}
	flush()
	return docs
}

func hasContent(doc []byte) bool {
	for line := range bytes.Lines(doc) {
		l := bytes.TrimSpace(line)
		if len(l) > 0 && l[0] != '#' {
			return true
		}
	}
	return false
}

// decodeStrict decodes one YAML document into v, failing on unknown or
// duplicate fields.
// collect returns a new object to decode a document into, and the function
// that appends it to list.
func collect[T any](list *[]*T) (any, func()) {
	o := new(T)
	return o, func() { *list = append(*list, o) }
}

func decodeStrict(doc []byte, v any) error {
	return yaml.UnmarshalStrict(doc, v)
}

// decodeStream decodes every document of a YAML stream strictly into the
// API type its apiVersion and kind name.
func decodeStream(name string, data []byte, into *objects) error {
	docs := splitYAML(data)
	if len(docs) == 0 {
		return fmt.Errorf("%s: no documents", name)
	}
	for i, doc := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return fmt.Errorf("%s document %d: %w", name, i, err)
		}
		var (
			v   any
			add func()
		)
		switch gvk := tm.APIVersion + "/" + tm.Kind; gvk {
		case "v1/Namespace":
			v, add = collect(&into.namespaces)
		case "v1/ServiceAccount":
			v, add = collect(&into.serviceAccounts)
		case "apps/v1/DaemonSet":
			v, add = collect(&into.daemonSets)
		case "v1/Service":
			v, add = collect(&into.services)
		case "monitoring.coreos.com/v1/PodMonitor":
			v, add = collect(&into.podMonitors)
		default:
			return fmt.Errorf("%s document %d: unexpected %s", name, i, gvk)
		}
		if err := decodeStrict(doc, v); err != nil {
			return fmt.Errorf("%s document %d (%s): %w", name, i, tm.Kind, err)
		}
		add()
	}
	return nil
}

func readKustomization(t *testing.T) kustomization {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := decodeStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	return k
}

// loadManifests decodes every resource kustomization.yaml lists.
func loadManifests(t *testing.T) *objects {
	t.Helper()
	k := readKustomization(t)
	var objs objects
	for _, r := range k.Resources {
		data, err := os.ReadFile(filepath.Join(k8sDir, r))
		if err != nil {
			t.Fatal(err)
		}
		if err := decodeStream(r, data, &objs); err != nil {
			t.Fatal(err)
		}
	}
	return &objs
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	k := readKustomization(t)
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml is %s %s", k.APIVersion, k.Kind)
	}
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var manifests []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			manifests = append(manifests, b)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, manifests) {
		t.Errorf("kustomization.yaml resources %v, directory has %v", got, manifests)
	}
}

func TestManifestsDecodeStrictly(t *testing.T) {
	objs := loadManifests(t)
	checkObjectSet(t, objs)
}

// checkObjectSet checks that there is exactly one of each object, all in
// one namespace, and that they refer to each other correctly.
func checkObjectSet(t *testing.T, objs *objects) {
	t.Helper()
	if len(objs.namespaces) != 1 || len(objs.serviceAccounts) != 1 || len(objs.daemonSets) != 1 ||
		len(objs.services) != 1 || len(objs.podMonitors) != 1 {
		t.Fatalf("want one Namespace, ServiceAccount, DaemonSet, Service and PodMonitor; got %d, %d, %d, %d, %d",
			len(objs.namespaces), len(objs.serviceAccounts), len(objs.daemonSets), len(objs.services), len(objs.podMonitors))
	}
	ns := objs.namespaces[0].Name
	ds := objs.daemonSets[0]
	svc := objs.services[0]
	pm := objs.podMonitors[0]
	sa := objs.serviceAccounts[0]
	for kind, got := range map[string]string{
		"ServiceAccount": sa.Namespace, "DaemonSet": ds.Namespace, "Service": svc.Namespace, "PodMonitor": pm.Namespace,
	} {
		if got != ns {
			t.Errorf("%s in namespace %q, want %q", kind, got, ns)
		}
	}
	if got := objs.namespaces[0].Labels["pod-security.kubernetes.io/enforce"]; got != "privileged" {
		t.Errorf("namespace enforces pod security %q; hostPath volumes need privileged", got)
	}
	if ds.Spec.Template.Spec.ServiceAccountName != sa.Name {
		t.Errorf("DaemonSet uses service account %q, want %q", ds.Spec.Template.Spec.ServiceAccountName, sa.Name)
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("ServiceAccount mounts a token; the agent never talks to the API")
	}

	podLabels := ds.Spec.Template.Labels
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labelSet(podLabels)) {
		t.Errorf("DaemonSet selector %v does not match its pod labels %v", ds.Spec.Selector, podLabels)
	}
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service clusterIP %q, want None (headless)", svc.Spec.ClusterIP)
	}
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != v {
			t.Errorf("Service selects %s=%s, pods have %q", k, v, podLabels[k])
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 19117 || svc.Spec.Ports[0].TargetPort.String() != "metrics" {
		t.Errorf("Service ports %+v, want 19117 to the named port metrics", svc.Spec.Ports)
	}

	pmSel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !pmSel.Matches(labelSet(podLabels)) {
		t.Errorf("PodMonitor selector %v does not match the pod labels %v", pm.Spec.Selector, podLabels)
	}
	if !slices.Equal(pm.Spec.NamespaceSelector.MatchNames, []string{ns}) {
		t.Errorf("PodMonitor watches namespaces %v, want [%s]", pm.Spec.NamespaceSelector.MatchNames, ns)
	}
	// The rules and the dashboard select job="bootinfo".
	if got := podLabels[pm.Spec.JobLabel]; got != "bootinfo" {
		t.Errorf("PodMonitor jobLabel %q gives job=%q, want bootinfo", pm.Spec.JobLabel, got)
	}
	ports := map[string]bool{}
	for _, p := range ds.Spec.Template.Spec.Containers[0].Ports {
		ports[p.Name] = true
	}
	if len(pm.Spec.PodMetricsEndpoints) != 1 {
		t.Fatalf("PodMonitor has %d endpoints, want 1", len(pm.Spec.PodMetricsEndpoints))
	}
	ep := pm.Spec.PodMetricsEndpoints[0]
	if !ports[ep.Port] || ep.Path != "/metrics" {
		t.Errorf("PodMonitor scrapes port %q path %q; the container's ports are %v", ep.Port, ep.Path, ports)
	}
	if len(ds.Spec.Template.Annotations) != 0 {
		t.Errorf("pod annotations %v: the PodMonitor scrapes; prometheus.io annotations would double it", ds.Spec.Template.Annotations)
	}
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

// pathFlags are bootinfo's --path flags and the host paths they default
// to: a flag set to a directory in the container means the host's default
// path is mounted there.
var pathFlags = map[string]string{
	"--path.rootfs": "/",
	"--path.sysfs":  "/sys",
	"--path.procfs": "/proc",
	"--path.dev":    "/dev",
	"--path.boot":   "/boot",
}

func TestDaemonSetInvariants(t *testing.T) {
	checkDaemonSet(t, loadManifests(t).daemonSets[0])
}

func checkDaemonSet(t *testing.T, ds *appsv1.DaemonSet) {
	t.Helper()
	pod := ds.Spec.Template.Spec
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
		t.Fatalf("want one container and no init containers, got %d and %d", len(pod.Containers), len(pod.InitContainers))
	}
	c := pod.Containers[0]

	// Every node, whatever its taints.
	if !slices.ContainsFunc(pod.Tolerations, func(tol corev1.Toleration) bool {
		return tol.Operator == corev1.TolerationOpExists && tol.Key == "" && tol.Effect == ""
	}) {
		t.Errorf("tolerations %+v do not tolerate every taint (operator: Exists alone)", pod.Tolerations)
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Errorf("hostNetwork %v hostPID %v hostIPC %v, want all false", pod.HostNetwork, pod.HostPID, pod.HostIPC)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("pod mounts a service account token")
	}

	// Least privilege.
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("pod or container securityContext missing")
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile %+v, want RuntimeDefault", psc.SeccompProfile)
	}
	if sc.Privileged == nil || *sc.Privileged {
		t.Error("container privileged is not explicitly false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("capabilities %+v do not drop ALL", sc.Capabilities)
	} else if got := capNames(sc.Capabilities.Add); !slices.Equal(got, neededCapabilities) {
		t.Errorf("capabilities add %v, want exactly %v", got, neededCapabilities)
	}
	// uid 0: the DMI table and the private socket are root's (see the
	// manifest's comment); both levels must agree.
	for what, uid := range map[string]*int64{"pod": psc.RunAsUser, "container": sc.RunAsUser} {
		if uid == nil || *uid != 0 {
			t.Errorf("%s runAsUser %v, want 0", what, uid)
		}
	}

	// Resources and probes.
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
			t.Errorf("no %s request", r)
		}
	}
	lim, ok := c.Resources.Limits[corev1.ResourceMemory]
	if !ok || lim.Cmp(c.Resources.Requests[corev1.ResourceMemory]) < 0 {
		t.Errorf("memory limit %v missing or below the request", lim)
	}
	checkGoMemLimit(t, c, lim)

	port := func(p corev1.ContainerPort) bool { return p.Name == "metrics" && p.ContainerPort == 19117 }
	if !slices.ContainsFunc(c.Ports, port) {
		t.Errorf("ports %+v lack metrics:19117", c.Ports)
	}
	if !slices.Contains(c.Args, "--web.listen-address=:19117") {
		t.Errorf("args %v do not listen on :19117", c.Args)
	}
	// The probes go to the health listener, which needs no credentials
	// whatever --web.config.file says (TestProbesWithBasicAuth runs it).
	healthPort := func(p corev1.ContainerPort) bool { return p.Name == "health" && p.ContainerPort == 19118 }
	if !slices.ContainsFunc(c.Ports, healthPort) {
		t.Errorf("ports %+v lack health:19118", c.Ports)
	}
	if !slices.Contains(c.Args, "--web.health-address=:19118") {
		t.Errorf("args %v do not serve /healthz on :19118", c.Args)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" ||
			(p.HTTPGet.Port.String() != "health" && p.HTTPGet.Port.IntValue() != 19118) ||
			(p.HTTPGet.Scheme != "" && p.HTTPGet.Scheme != corev1.URISchemeHTTP) {
			t.Errorf("%s probe %+v, want GET /healthz over HTTP on health (19118)", name, p)
		}
	}

	// Flags and mounts.
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Errorf("args %v do not start with the serve command", c.Args)
	}
	flags := map[string]string{}
	for _, a := range c.Args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok && strings.HasPrefix(a, "--collector.") || strings.HasPrefix(a, "--no-collector.") {
			// Boolean collector switches take no value (kingpin has no
			// --flag=false); the last one given wins.
			continue
		}
		if !ok {
			t.Errorf("argument %q is not --flag=value or a collector switch", a)
			continue
		}
		if _, dup := flags[k]; dup {
			t.Errorf("flag %s given twice", k)
		}
		flags[k] = v
	}
	checkMounts(t, pod, c, flags)
}

// neededCapabilities are the capabilities the sources need beyond uid 0
// (sorted): CAP_SYSLOG for /dev/kmsg under kernel.dmesg_restrict=1. The
// systemd unit's CapabilityBoundingSet is checked against the same list.
var neededCapabilities = []string{"SYSLOG"}

func capNames(caps []corev1.Capability) []string {
	var s []string
	for _, c := range caps {
		s = append(s, strings.TrimPrefix(string(c), "CAP_"))
	}
	slices.Sort(s)
	return s
}

// checkGoMemLimit checks that GOMEMLIMIT, if set, is below the memory limit.
func checkGoMemLimit(t *testing.T, c corev1.Container, lim resource.Quantity) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name != "GOMEMLIMIT" {
			continue
		}
		// Go's suffixes are KiB, MiB, GiB; Kubernetes' are Ki, Mi, Gi.
		q, err := resource.ParseQuantity(strings.TrimSuffix(e.Value, "B"))
		if err != nil {
			t.Errorf("GOMEMLIMIT %q: %v", e.Value, err)
			return
		}
		if q.Cmp(lim) >= 0 {
			t.Errorf("GOMEMLIMIT %s is not below the memory limit %s", e.Value, lim.String())
		}
	}
}

func checkMounts(t *testing.T, pod corev1.PodSpec, c corev1.Container, flags map[string]string) {
	t.Helper()
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	stateDir := flags["--state.dir"]
	if stateDir == "" {
		t.Error("no --state.dir: boot history would not survive the pod")
	}
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			t.Errorf("mount %s names no volume", m.Name)
			continue
		}
		mounted[m.Name] = true
		hp := v.HostPath
		if hp == nil {
			t.Errorf("volume %s is not a hostPath; everything bootinfo reads is the host's", m.Name)
			continue
		}
		if hp.Type == nil || *hp.Type == corev1.HostPathUnset {
			// An unset type makes the runtime create a missing path as a
			// directory on the host.
			t.Errorf("volume %s has no hostPath type", m.Name)
		}
		if m.MountPath == stateDir {
			if m.ReadOnly {
				t.Errorf("state dir mount %s is read-only", m.Name)
			}
			if hp.Path != "/var/lib/bootinfo" || *hp.Type != corev1.HostPathDirectoryOrCreate {
				t.Errorf("state dir volume %s is %s (%s), want /var/lib/bootinfo DirectoryOrCreate", m.Name, hp.Path, *hp.Type)
			}
			continue
		}
		if !m.ReadOnly {
			t.Errorf("hostPath mount %s (%s) is writable", m.Name, m.MountPath)
		}
		if m.MountPropagation != nil && *m.MountPropagation == corev1.MountPropagationBidirectional {
			t.Errorf("mount %s propagates back to the host", m.Name)
		}
		// The API's own rule for recursive read-only mounts.
		if m.RecursiveReadOnly != nil && *m.RecursiveReadOnly != corev1.RecursiveReadOnlyDisabled {
			if !m.ReadOnly || (m.MountPropagation != nil && *m.MountPropagation != corev1.MountPropagationNone) {
				t.Errorf("mount %s: recursiveReadOnly needs readOnly and mountPropagation None", m.Name)
			}
		}
		// Directories with submounts on a typical host must be read-only
		// all the way down: efivarfs under /sys, the ESP under /boot.
		if *hp.Type == corev1.HostPathDirectory {
			if m.RecursiveReadOnly == nil || *m.RecursiveReadOnly != corev1.RecursiveReadOnlyEnabled {
				t.Errorf("directory mount %s (%s) is not recursiveReadOnly: Enabled; its submounts stay writable", m.Name, hp.Path)
			}
		}
		// Sockets are mounted where the agent dials them.
		if *hp.Type == corev1.HostPathSocket {
			if m.MountPath != hp.Path {
				t.Errorf("socket %s mounted at %s", hp.Path, m.MountPath)
			}
			continue
		}
		// Every other mount lies below a --path flag, at the place the
		// flag's default host path maps to.
		flag, rel := flagFor(flags, m.MountPath)
		if flag == "" {
			t.Errorf("mount %s (%s) lies below no --path flag %v", m.Name, m.MountPath, flags)
			continue
		}
		if want := path.Join(pathFlags[flag], rel); hp.Path != want {
			t.Errorf("%s=%s: mount %s shows host %s at %s, which bootinfo reads as host %s",
				flag, flags[flag], m.Name, hp.Path, m.MountPath, want)
		}
	}
	for name := range volumes {
		if !mounted[name] {
			t.Errorf("volume %s is not mounted", name)
		}
	}
	// Every --path flag points at something mounted.
	for flag := range pathFlags {
		dir, ok := flags[flag]
		if !ok {
			t.Errorf("%s not set: bootinfo would read the container's own %s", flag, pathFlags[flag])
			continue
		}
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.MountPath == dir || strings.HasPrefix(m.MountPath, dir+"/")
		}) {
			t.Errorf("%s=%s: nothing is mounted there", flag, dir)
		}
	}
	for k := range flags {
		if strings.HasPrefix(k, "--path.") {
			if _, ok := pathFlags[k]; !ok {
				t.Errorf("unknown path flag %s", k)
			}
		}
	}
}

// flagFor returns the --path flag whose directory is the longest prefix of
// p, and p relative to it.
func flagFor(flags map[string]string, p string) (flag, rel string) {
	best := -1
	for f := range pathFlags {
		dir, ok := flags[f]
		if !ok {
			continue
		}
		if (p == dir || strings.HasPrefix(p, dir+"/")) && len(dir) > best {
			flag, rel, best = f, strings.TrimPrefix(p, dir), len(dir)
		}
	}
	return flag, rel
}

// kustomize renders dir with kubectl's built-in kustomize and decodes the
// stream it prints.
func kustomize(t *testing.T, dir string) *objects {
	t.Helper()
	cmd := exec.Command(testutil.Tool(t, "kubectl", "kubernetes-client"), "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.Bytes())
	}
	var objs objects
	if err := decodeStream("kubectl kustomize "+dir, out, &objs); err != nil {
		t.Fatal(err)
	}
	return &objs
}

// TestKustomizeRenders renders the directory with kubectl's built-in
// kustomize and decodes the stream it prints, checking the same
// invariants on what a cluster would actually receive.
func TestKustomizeRenders(t *testing.T) {
	objs := kustomize(t, k8sDir)
	checkObjectSet(t, objs)
	checkDaemonSet(t, objs.daemonSets[0])
}

// TestKernelLogOverlay renders the privileged overlay and checks that it
// changes exactly what the kmsg collector needs (privileged, and the
// collector switched back on) and nothing else, and that
// the API would accept it (privileged with allowPrivilegeEscalation false
// is refused).
func TestKernelLogOverlay(t *testing.T) {
	base := kustomize(t, k8sDir)
	over := kustomize(t, "kubernetes-kernel-log")
	checkObjectSet(t, over)
	ds := over.daemonSets[0]
	sc := ds.Spec.Template.Spec.Containers[0].SecurityContext
	if sc.Privileged == nil || !*sc.Privileged {
		t.Fatal("the overlay's container is not privileged")
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		t.Error("privileged with allowPrivilegeEscalation false: the API refuses that")
	}
	// The base turns kmsg off, the overlay back on, in place: bootinfo
	// refuses a flag given twice.
	args := ds.Spec.Template.Spec.Containers[0].Args
	baseArgs := base.daemonSets[0].Spec.Template.Spec.Containers[0].Args
	i := slices.Index(baseArgs, "--no-collector.kmsg")
	if i < 0 || len(args) != len(baseArgs) || args[i] != "--collector.kmsg" {
		t.Fatalf("the overlay does not turn the kmsg collector on in place of the base's --no-collector.kmsg: %v", args)
	}
	// Undo the three changes; what remains must be the base.
	args[i] = baseArgs[i]
	f := false
	sc.Privileged, sc.AllowPrivilegeEscalation = &f, &f
	if diff := cmp.Diff(base, over, cmp.AllowUnexported(objects{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the overlay changes more than privileged (-base +overlay):\n%s", diff)
	}
}
