//! Archive surgery the archive-writing crates refuse to do, for tests of hostile archives.

/// Sets the Unix mode (upper 16 bits of the external attributes) of `name`'s central
/// directory header.
pub(crate) fn set_zip_mode(zip: &mut [u8], name: &str, mode: u32) {
    let mut i = 0;
    while i + 46 <= zip.len() {
        if zip[i..i + 4] == *b"PK\x01\x02" {
            let len = u16::from_le_bytes([zip[i + 28], zip[i + 29]]) as usize;
            if zip.get(i + 46..i + 46 + len) == Some(name.as_bytes()) {
                let attrs = u32::from_le_bytes(zip[i + 38..i + 42].try_into().unwrap());
                let attrs = (attrs & 0xffff) | (mode << 16);
                zip[i + 38..i + 42].copy_from_slice(&attrs.to_le_bytes());
                return;
            }
        }
        i += 1;
    }
    panic!("no central directory header for {name}");
}
