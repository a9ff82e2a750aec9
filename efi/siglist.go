package efi

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Vendor GUIDs of the Secure Boot signature databases.
var (
	// ImageSecurityDatabase is EFI_IMAGE_SECURITY_DATABASE_GUID, the vendor
	// of db and dbx (UEFI 2.10 section 32.6.1); PK and KEK are
	// GlobalVariable's.
	ImageSecurityDatabase = MustParseGUID("d719b2cb-3d3a-4596-a3bc-dad00e67656f")
	// ShimLock is the vendor of shim's variables: MokListRT, MokListXRT,
	// MokListTrustedRT, MokSBStateRT and SbatLevelRT.
	ShimLock = MustParseGUID("605dab50-e046-4300-abb6-3dd810dd8b23")
)

// Signature types of an EFI_SIGNATURE_LIST (UEFI 2.10 section 32.4.1).
var (
	CertX509          = MustParseGUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072")
	CertSHA1          = MustParseGUID("826ca512-cf10-4ac9-b187-be01496631bd")
	CertSHA224        = MustParseGUID("0b6e5233-a65c-44c9-9407-d9ab83bfc8bd")
	CertSHA256        = MustParseGUID("c1c41626-504c-4092-aca9-41f936934328")
	CertSHA384        = MustParseGUID("ff3e5307-9fd0-48c9-85f1-8ad56c701e01")
	CertSHA512        = MustParseGUID("093e0fae-a6c4-4f50-9f1b-d41e2b89c19a")
	CertRSA2048       = MustParseGUID("3c5766e8-269c-4e34-aa14-ed776e85b3b6")
	CertRSA2048SHA1   = MustParseGUID("67f8444f-8743-48f1-a328-1eaab8736080")
	CertRSA2048SHA256 = MustParseGUID("e2b36190-879b-4a3d-ad8d-f2e7bba32784")
	CertX509SHA256    = MustParseGUID("3bd2a492-96c0-4079-b420-fcf98ef103ed")
	CertX509SHA384    = MustParseGUID("7076876e-80c2-4ee6-aad2-28b349a6865b")
	CertX509SHA512    = MustParseGUID("446dbf63-2502-4cda-bcfa-2465d2b0fe9d")
)

// SignatureList is one EFI_SIGNATURE_LIST: signatures of one type and size.
type SignatureList struct {
	Type       GUID
	Header     []byte
	Signatures []SignatureData
}

// SignatureData is one EFI_SIGNATURE_DATA: the owner's GUID and the
// signature itself (a DER certificate, a hash, ...). Data aliases the input.
type SignatureData struct {
	Owner GUID
	Data  []byte
}

// signatureListHeader is the fixed part of an EFI_SIGNATURE_LIST:
// SignatureType (16), SignatureListSize (4), SignatureHeaderSize (4),
// SignatureSize (4).
const signatureListHeader = 28

// ParseSignatureLists decodes a signature database (the value of PK, KEK,
// db, dbx or a MOK list): a sequence of EFI_SIGNATURE_LISTs. It returns
// every list before the first malformed one, and an error wrapping
// ErrMalformed for that one; the lists it returns alias b.
func ParseSignatureLists(b []byte) ([]SignatureList, error) {
	var lists []SignatureList
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < signatureListHeader {
			return lists, fmt.Errorf("efi: signature list at offset %d: %d bytes left, want a %d-byte header: %w: %w", off, len(rest), signatureListHeader, ErrMalformed, io.ErrUnexpectedEOF)
		}
		var l SignatureList
		copy(l.Type[:], rest)
		listSize := binary.LittleEndian.Uint32(rest[16:])
		headerSize := binary.LittleEndian.Uint32(rest[20:])
		sigSize := binary.LittleEndian.Uint32(rest[24:])
		switch {
		case uint64(listSize) > uint64(len(rest)):
			return lists, fmt.Errorf("efi: signature list at offset %d: size %d runs past the %d bytes left: %w", off, listSize, len(rest), ErrMalformed)
		case uint64(listSize) < signatureListHeader+uint64(headerSize):
			return lists, fmt.Errorf("efi: signature list at offset %d: size %d too small for its %d-byte header: %w", off, listSize, headerSize, ErrMalformed)
		case sigSize < 16:
			return lists, fmt.Errorf("efi: signature list at offset %d: signature size %d is smaller than an owner GUID: %w", off, sigSize, ErrMalformed)
		}
		body := uint64(listSize) - signatureListHeader - uint64(headerSize)
		if body%uint64(sigSize) != 0 {
			return lists, fmt.Errorf("efi: signature list at offset %d: signature size %d does not divide the list's %d bytes of signatures: %w", off, sigSize, body, ErrMalformed)
		}
		l.Header = rest[signatureListHeader : signatureListHeader+headerSize]
		sigs := rest[signatureListHeader+uint64(headerSize) : listSize]
		l.Signatures = make([]SignatureData, 0, body/uint64(sigSize))
		for len(sigs) > 0 {
			var s SignatureData
			copy(s.Owner[:], sigs)
			s.Data = sigs[16:sigSize]
			l.Signatures = append(l.Signatures, s)
			sigs = sigs[sigSize:]
		}
		lists = append(lists, l)
		off += int(listSize)
	}
	return lists, nil
}
