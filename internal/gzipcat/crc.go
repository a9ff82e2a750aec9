package gzipcat

// CRC-32 combination. A CRC-32 is the remainder of the message polynomial,
// with pre- and post-conditioning, modulo the generator P. Appending len2
// bytes B to a message A multiplies A's remainder by x^(8·len2) modulo P
// and adds B's: crc(A‖B) = crc(A)·x^(8·len2) mod P ⊕ crc(B), the
// conditioning terms cancelling because both CRCs carry them. Polynomials
// are held bit-reversed, as the IEEE CRC-32 computes them: bit 31 is the
// coefficient of x^0.

// reversed is the IEEE generator polynomial, bit-reversed (x^32 implicit).
const reversed = 0xedb88320

// mulMod returns a·b mod P.
func mulMod(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		// b ·= x: a shift towards the low bits in the reversed form,
		// reduced by P when the x^31 coefficient overflows.
		if b&1 != 0 {
			b = b>>1 ^ reversed
		} else {
			b >>= 1
		}
	}
	return p
}

// pow2 holds x^(2^k) mod P for k = 0..63 (x^1 is 1<<30 in reversed form).
var pow2 = func() (t [64]uint32) {
	t[0] = 1 << 30
	for k := 1; k < len(t); k++ {
		t[k] = mulMod(t[k-1], t[k-1])
	}
	return t
}()

// xPow8n returns x^(8n) mod P.
func xPow8n(n int64) uint32 {
	r := uint32(1) << 31 // x^0
	// x^(8n) = ∏ x^(2^k) over the set bits k of 8n.
	e := uint64(n) << 3
	for k := 0; e != 0; k, e = k+1, e>>1 {
		if e&1 != 0 {
			r = mulMod(r, pow2[k])
		}
	}
	return r
}

// Combine returns the CRC-32 (IEEE) of A‖B from crc1 of A, crc2 of B and
// B's length.
func Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	return mulMod(xPow8n(len2), crc1) ^ crc2
}
