package script

import "strings"

// loaders maps the commands that load a kernel to how they fill a menu
// entry's Load; they only mean this inside a menu entry's body. Each gets
// the command's arguments.
var loaders = map[string]func(l *Load, args []string){
	"linux":       loadLinux,
	"linuxefi":    loadLinux,
	"linux16":     loadLinux,
	"kernel":      loadLinux,
	"initrd":      loadInitrd,
	"initrdefi":   loadInitrd,
	"initrd16":    loadInitrd,
	"multiboot":   loadMultiboot,
	"multiboot2":  loadMultiboot,
	"module":      loadModule,
	"module2":     loadModule,
	"chainloader": loadChainloader,
}

func loadLinux(l *Load, args []string) {
	l.Kind = LoadLinux
	if len(args) > 0 {
		l.Kernel = args[0]
		l.Args = loaderCmdline(args[1:])
	}
}

func loadInitrd(l *Load, args []string) {
	l.Initrd = append(l.Initrd, skipOptions(args)...)
}

func loadMultiboot(l *Load, args []string) {
	l.Kind = LoadMultiboot
	if w := skipOptions(args); len(w) > 0 {
		l.Kernel = w[0]
		l.Args = loaderCmdline(w[1:])
	}
}

func loadModule(l *Load, args []string) {
	if w := skipOptions(args); len(w) > 0 {
		// GRUB passes the module's path as its first "argument" too;
		// keep only what follows.
		l.Modules = append(l.Modules, Module{Path: w[0], Args: loaderCmdline(w[1:])})
	}
}

func loadChainloader(l *Load, args []string) {
	l.Kind = LoadChainload
	if w := skipOptions(args); len(w) > 0 {
		l.Kernel = w[0]
		l.Args = strings.Join(w[1:], " ")
	}
}

// skipOptions drops the leading --options of a loader command.
func skipOptions(w []string) []string {
	for len(w) > 0 && strings.HasPrefix(w[0], "--") {
		w = w[1:]
	}
	return w
}

// loaderCmdline joins a loader command's arguments into the command line
// the kernel receives, as GRUB 2.06's grub_create_loader_cmdline does
// (grub-core/lib/cmdline.c): an argument holding a space is wrapped in
// double quotes, and backslashes, single quotes and double quotes are
// escaped with a backslash unless the backslash starts a \xHH escape.
func loaderCmdline(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		space := strings.IndexByte(a, ' ') >= 0
		if space {
			b.WriteByte('"')
		}
		for j := 0; j < len(a); j++ {
			c := a[j]
			if c == '\\' && j+3 < len(a) && a[j+1] == 'x' && isHex(a[j+2]) && isHex(a[j+3]) {
				b.WriteString(a[j : j+4])
				j += 3
				continue
			}
			if c == '\\' || c == '\'' || c == '"' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		if space {
			b.WriteByte('"')
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}
