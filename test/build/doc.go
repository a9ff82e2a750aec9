// Package build holds the tests of the release build: the Dockerfile,
// checked statically because no Docker engine runs on the test machines, and
// scripts/build, the same recipe run without Docker; and the tests that hold
// README.md's lists and figures to the binary built that way (its --help,
// its metrics, `go version -m`, what it opens), so that they cannot drift.
package build
