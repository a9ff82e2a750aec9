/*
 * efivar-oracle prints, for each efivarfs Boot#### file named on the command
 * line, what Debian's libefiboot/libefivar (efivar 37) decode from it:
 *   FILE<TAB>attrs-hex<TAB>description<TAB>device-path-text<TAB>optional-data-len
 * With -p before the file names, each file's value is a bare device path
 * (ConIn, ConOut, ErrOut, ...) and the line is FILE<TAB>device-path-text.
 * It is the independent oracle for efi/ load option and device path decoding;
 * see oracle_test.go. Build: cc -o efivar-oracle efivar-oracle.c -lefiboot -lefivar
 */
#include <efivar/efivar.h>
#include <efivar/efiboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int bare = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-p") == 0) { bare = 1; continue; }
		FILE *f = fopen(argv[i], "rb");
		if (!f) { perror(argv[i]); return 1; }
		static uint8_t buf[1 << 16];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (n < 4) { printf("%s\tERROR short\n", argv[i]); continue; }
		if (bare) {
			char text[8192] = "";
			ssize_t r = efidp_format_device_path(text, sizeof(text), (const_efidp)(buf + 4), (ssize_t)n - 4);
			printf("%s\t%s\n", argv[i], r < 0 ? "ERROR format" : text);
			continue;
		}
		efi_load_option *opt = (efi_load_option *)(buf + 4);
		ssize_t sz = (ssize_t)n - 4;
		if (!efi_loadopt_is_valid(opt, sz)) { printf("%s\tERROR invalid\n", argv[i]); continue; }
		const unsigned char *desc = efi_loadopt_desc(opt, sz);
		uint16_t pl = efi_loadopt_pathlen(opt, sz);
		efidp dp = efi_loadopt_path(opt, sz);
		char text[8192] = "";
		ssize_t r = efidp_format_device_path(text, sizeof(text), dp, pl);
		if (r < 0) strcpy(text, "ERROR format");
		ssize_t od = efi_loadopt_optional_data_size(opt, sz);
		printf("%s\t0x%x\t%s\t%s\t%zd\n", argv[i], efi_loadopt_attrs(opt),
		       desc ? (const char *)desc : "", text, od);
	}
	return 0;
}
