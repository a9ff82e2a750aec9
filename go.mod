module github.com/bootinfo/bootinfo

go 1.25.0

require github.com/digitalocean/go-smbios v0.0.0-20180907143718-390a4f403a8e

require github.com/google/go-cmp v0.7.0
