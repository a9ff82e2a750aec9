// Package nfd writes node-feature-discovery's feature files: the input of
// nfd-worker's "local" feature source, which turns each line into a
// Kubernetes node label.
//
// The format, as NFD documents it (docs/usage/customization-guide.md,
// "Local feature source", "Input format"):
//
//   - nfd-worker reads every file in
//     /etc/kubernetes/node-feature-discovery/features.d/ except dot files;
//     a file larger than 64 kB (65536 bytes) is ignored whole.
//   - Each line is <key>[=<value>]; the value defaults to "true". The key
//     must carry a namespace: <namespace>/<name>.
//   - Lines starting with # are comments, except the directives
//     "# +expiry-time=<RFC 3339 time>" (the lines after it are dropped once
//     that time has passed, until another expiry-time directive),
//     "# +no-feature" and "# +no-label" (each applies to the next line).
//   - Writers should write a dot file in the same directory and rename it
//     into place, so that nfd-worker never reads half a file.
//
// Labels NFD creates from the lines are Kubernetes labels, and a line
// whose key or value is not one is dropped with an error in NFD's log
// while the file's other lines still count. The rules (Kubernetes,
// "Labels and Selectors", "Syntax and character set"): a key is a prefix,
// a DNS subdomain of at most 253 characters, then "/" and a name of at
// most 63 characters, alphanumeric with -, _ and . inside; a value is at
// most 63 such characters, or empty. nfd-master refuses the prefix
// kubernetes.io and its subdomains, except feature.node.kubernetes.io,
// profile.node.kubernetes.io and their subdomains, which it always allows
// and which cannot be denied (docs/reference/master-commandline-reference.md,
// "-deny-label-ns").
//
// The package formats and writes; what the labels say is decided by the
// caller.
package nfd
