module github.com/bootinfo/bootinfo

go 1.25.0

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/godbus/dbus/v5 v5.2.4
	github.com/google/go-cmp v0.7.0
)

require golang.org/x/sys v0.27.0 // indirect
