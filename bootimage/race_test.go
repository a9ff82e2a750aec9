//go:build race

package bootimage

const raceEnabled = true
