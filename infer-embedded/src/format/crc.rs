//! CRC-32 (IEEE 802.3, as zlib and `crc32fast` compute it) of the file at load.
//!
//! Hand-written rather than `crc32fast::hash` for the `no_std` load path:
//! crc32fast's slicing-by-16 keeps 16 KiB of tables in flash (a 256 KiB part
//! feels that), and on `thumbv6m` its unrolled loop keeps bounds checks the
//! link-time no-panic proof (`infer-embedded/no-panic`) rejects. One byte per
//! step over a 1 KiB table built at compile time: each index is a `u8`, so no
//! lookup can fail. The file is checked once, so the speed does not matter.
//! The writers (std) keep `crc32fast`; a test checks the two agree.

/// `TABLE[b]`: the CRC register after shifting byte `b` through it.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u32;
        let mut bit = 0;
        while bit < 8 {
            // 0xEDB88320: the IEEE polynomial, bit-reversed (the CRC is reflected).
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            bit += 1;
        }
        table[b] = crc;
        b += 1;
    }
    table
};

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &byte| TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8))
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::crc32;
    use proptest::prelude::*;

    #[test]
    fn known_value() {
        // The CRC-32 check value of the standard test string.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    proptest! {
        #[test]
        fn agrees_with_crc32fast(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(crc32(&bytes), crc32fast::hash(&bytes));
        }
    }
}
