module github.com/bootinfo/bootinfo

go 1.25.0
