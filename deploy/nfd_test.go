package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bootinfo/bootinfo/internal/testing/agent"
	"github.com/bootinfo/bootinfo/internal/testing/testutil"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
)

const (
	nfdOverlay = "kubernetes-nfd"
	// nfdFeaturesDir is where nfd-worker reads feature files, on the
	// host and in NFD's own DaemonSet.
	nfdFeaturesDir = "/etc/kubernetes/node-feature-discovery/features.d"
)

// TestNFDOverlay renders the node-feature-discovery overlay and checks
// that it adds exactly the flag, a writable mount of NFD's features.d at
// the directory the flag names, and its hostPath volume; that with those
// three taken out the rest is the base, so every other mount stays as
// read-only as there; and that the agent, given the overlay's flags on a
// fixture host, writes the file.
func TestNFDOverlay(t *testing.T) {
	base := kustomize(t, k8sDir)
	over := kustomize(t, nfdOverlay)
	checkObjectSet(t, over)
	pod := &over.daemonSets[0].Spec.Template.Spec
	c := &pod.Containers[0]

	var dir string
	i := slices.IndexFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--nfd.features-dir=") })
	if i < 0 {
		t.Fatalf("the overlay does not set --nfd.features-dir: %v", c.Args)
	}
	dir = strings.TrimPrefix(c.Args[i], "--nfd.features-dir=")
	if dir != nfdFeaturesDir {
		t.Errorf("--nfd.features-dir=%s, want %s", dir, nfdFeaturesDir)
	}
	j := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == dir })
	if j < 0 {
		t.Fatalf("nothing is mounted at %s: %+v", dir, c.VolumeMounts)
	}
	m := c.VolumeMounts[j]
	if m.ReadOnly || m.SubPath != "" {
		t.Errorf("mount %+v: want writable, the whole directory", m)
	}
	if m.MountPropagation != nil && *m.MountPropagation != corev1.MountPropagationNone {
		t.Errorf("mount %s propagates %s", m.Name, *m.MountPropagation)
	}
	k := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name })
	if k < 0 {
		t.Fatalf("mount %s names no volume", m.Name)
	}
	v := pod.Volumes[k]
	if hp := v.HostPath; hp == nil || hp.Path != nfdFeaturesDir || hp.Type == nil || *hp.Type != corev1.HostPathDirectoryOrCreate {
		t.Errorf("volume %s is %+v, want hostPath %s DirectoryOrCreate", v.Name, v.VolumeSource, nfdFeaturesDir)
	}

	// The agent takes the overlay's flags, and writes the file.
	written := t.TempDir()
	args := slices.Clone(c.Args)
	args[i] = "--nfd.features-dir=" + written
	a := agent.Start(t, fixtureArgs(t, args)...)
	testutil.WaitFor(t, "the feature file", func() error {
		b, err := os.ReadFile(filepath.Join(written, "bootinfo"))
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), "\nbootinfo.feature.node.kubernetes.io/firmware.mode=uefi\n") {
			return fmt.Errorf("no firmware mode label:\n%s", b)
		}
		return nil
	}, a.Process)

	// Take the three out: the base remains.
	c.Args = slices.Delete(c.Args, i, i+1)
	c.VolumeMounts = slices.Delete(c.VolumeMounts, j, j+1)
	pod.Volumes = slices.Delete(pod.Volumes, k, k+1)
	if diff := cmp.Diff(base, over, cmp.AllowUnexported(objects{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the overlay changes more than the flag and the features.d mount (-base +overlay):\n%s", diff)
	}
}
