// Package build holds the tests of the release build: the Dockerfile,
// checked statically because no Docker engine runs on the test machines, and
// scripts/build, the same recipe run without Docker.
package build
