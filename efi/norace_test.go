//go:build !race

package efi

const raceEnabled = false
