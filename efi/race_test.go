//go:build race

package efi

// raceEnabled: the race detector changes what allocates, so the fuzz
// targets' cost bounds, taken without it, do not hold under it.
const raceEnabled = true
