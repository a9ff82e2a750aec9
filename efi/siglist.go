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

// Signature types of an EFI_SIGNATURE_LIST (UEFI 2.10 section 32.4.1,
// EFI_CERT_*_GUID).
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

// signatureDataSize is the size of SignatureData (after the 16-byte owner)
// that section 32.4.1 fixes for each type but X.509: the digest; the
// RSA-2048 modulus or signature; for the cert-hash types the digest of the
// certificate's TBSCertificate followed by an EFI_TIME (16 bytes) of
// revocation.
var signatureDataSize = map[GUID]uint32{
	CertSHA1:          20,
	CertSHA224:        28,
	CertSHA256:        32,
	CertSHA384:        48,
	CertSHA512:        64,
	CertRSA2048:       256,
	CertRSA2048SHA1:   256,
	CertRSA2048SHA256: 256,
	CertX509SHA256:    32 + 16,
	CertX509SHA384:    48 + 16,
	CertX509SHA512:    64 + 16,
}

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

// ownerSize is the size of EFI_SIGNATURE_DATA's SignatureOwner.
const ownerSize = 16

// ParseSignatureLists decodes a signature database (the value of PK, KEK,
// db, dbx or a MOK list): a sequence of EFI_SIGNATURE_LISTs. Each list says
// its own size, so a list whose signatures are malformed (a SignatureSize
// that does not divide them, or that is not the one its type fixes) is
// skipped and the next is decoded; a list whose size is impossible (past
// the end, smaller than its header) ends the decoding, since nothing after
// it can be found. The error, which wraps ErrMalformed, describes the first
// problem and counts the others; the lists returned alias b.
//
// The cost is bounded by len(b): a list of n bytes yields at most n/16
// signatures, whatever its header claims.
func ParseSignatureLists(b []byte) ([]SignatureList, error) {
	var lists []SignatureList
	var errs problems
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < signatureListHeader {
			errs.add(fmt.Errorf("efi: signature list at offset %d: %d bytes left, want a %d-byte header: %w: %w", off, len(rest), signatureListHeader, ErrMalformed, io.ErrUnexpectedEOF))
			break
		}
		var typ GUID
		copy(typ[:], rest)
		listSize := binary.LittleEndian.Uint32(rest[16:])
		headerSize := binary.LittleEndian.Uint32(rest[20:])
		sigSize := binary.LittleEndian.Uint32(rest[24:])
		if uint64(listSize) > uint64(len(rest)) {
			errs.add(fmt.Errorf("efi: signature list at offset %d: size %d runs past the %d bytes left: %w", off, listSize, len(rest), ErrMalformed))
			break
		}
		if uint64(listSize) < signatureListHeader+uint64(headerSize) {
			errs.add(fmt.Errorf("efi: signature list at offset %d: size %d too small for its %d-byte header: %w", off, listSize, headerSize, ErrMalformed))
			break
		}
		off += int(listSize)
		if err := checkSignatureSize(typ, listSize, headerSize, sigSize); err != nil {
			errs.add(fmt.Errorf("efi: signature list at offset %d (%s): %w", off-int(listSize), SignatureTypeName(typ), err))
			continue
		}
		l := SignatureList{Type: typ, Header: rest[signatureListHeader : signatureListHeader+headerSize]}
		sigs := rest[signatureListHeader+uint64(headerSize) : listSize]
		l.Signatures = make([]SignatureData, 0, uint64(len(sigs))/uint64(sigSize))
		for len(sigs) > 0 {
			var s SignatureData
			copy(s.Owner[:], sigs)
			s.Data = sigs[ownerSize:sigSize:sigSize]
			l.Signatures = append(l.Signatures, s)
			sigs = sigs[sigSize:]
		}
		lists = append(lists, l)
	}
	return lists, errs.err()
}

// checkSignatureSize checks a list's SignatureSize against its type and the
// space its signatures take.
func checkSignatureSize(typ GUID, listSize, headerSize, sigSize uint32) error {
	body := uint64(listSize) - signatureListHeader - uint64(headerSize)
	if sigSize <= ownerSize {
		return fmt.Errorf("signature size %d leaves no room after the owner GUID: %w", sigSize, ErrMalformed)
	}
	if want, ok := signatureDataSize[typ]; ok && sigSize != ownerSize+want {
		return fmt.Errorf("signature size %d, want %d for this type: %w", sigSize, ownerSize+want, ErrMalformed)
	}
	if body%uint64(sigSize) != 0 {
		return fmt.Errorf("signature size %d does not divide the list's %d bytes of signatures: %w", sigSize, body, ErrMalformed)
	}
	return nil
}

// problems keeps the first of a store's problems and counts the rest, so a
// store gives one error however many of its entries are broken, and the
// error's size does not grow with the input.
type problems struct {
	first error
	more  int
}

func (p *problems) add(err error) {
	if err == nil {
		return
	}
	if p.first == nil {
		p.first = err
		return
	}
	p.more++
}

// merge adds q's problems to p's.
func (p *problems) merge(err error) {
	var q *moreProblems
	if e, ok := err.(*moreProblems); ok {
		q = e
	}
	if q == nil {
		p.add(err)
		return
	}
	p.add(q.first)
	p.more += q.more
}

func (p *problems) err() error {
	if p.first == nil || p.more == 0 {
		return p.first
	}
	return &moreProblems{first: p.first, more: p.more}
}

// moreProblems is the first problem of several.
type moreProblems struct {
	first error
	more  int
}

func (e *moreProblems) Error() string {
	s := "s"
	if e.more == 1 {
		s = ""
	}
	return fmt.Sprintf("%v (and %d more problem%s)", e.first, e.more, s)
}

func (e *moreProblems) Unwrap() error { return e.first }
