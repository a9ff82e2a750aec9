//go:build !race

package bootimage

const raceEnabled = false
