//! The QR code PNG of a virtual MFA device: the otpauth URI encoded by the `qrcode` crate
//! (matrix only) and written here as a PNG (8-bit grayscale, zlib through flate2, chunk CRCs
//! through crc32fast), so no image library is built.

use std::io::Write;

use qrcode::{Color, QrCode};

use crate::error::{ServiceError, ServiceResult};

/// Pixels per module.
const SCALE: usize = 4;
/// Light modules around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;

/// The PNG of `text`'s QR code.
pub(crate) fn png(text: &str) -> ServiceResult<Vec<u8>> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| ServiceError::internal(&e))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0); // filter type None
        for x in 0..side {
            let module = |p: usize| (p / SCALE).checked_sub(QUIET_ZONE).filter(|m| *m < modules);
            let dark = match (module(x), module(y)) {
                (Some(mx), Some(my)) => colors.get(my * modules + mx) == Some(&Color::Dark),
                _ => false,
            };
            raw.push(if dark { 0x00 } else { 0xff });
        }
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    zlib.write_all(&raw)
        .map_err(|e| ServiceError::internal(&e))?;
    let data = zlib.finish().map_err(|e| ServiceError::internal(&e))?;
    let side = u32::try_from(side).map_err(|e| ServiceError::internal(&e))?;
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&side.to_be_bytes());
    // Bit depth 8, grayscale, deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header)?;
    chunk(&mut out, b"IDAT", &data)?;
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> ServiceResult<()> {
    let length = u32::try_from(data.len()).map_err(|e| ServiceError::internal(&e))?;
    out.extend_from_slice(&length.to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

    use std::io::Read;

    use super::*;

    #[test]
    fn the_png_holds_the_codes_modules_at_scale() {
        let text = "otpauth://totp/dev@111111111111?secret=JBSWY3DPEHPK3PXP";
        let png = png(text).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap()) as usize;
        let code = QrCode::new(text.as_bytes()).unwrap();
        assert_eq!(side, (code.width() + 2 * QUIET_ZONE) * SCALE);
        // The IDAT chunk inflates to the rows; the first dark module is where the code says.
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&png[41..41 + idat_len])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw.len(), side * (side + 1));
        let pixel = |x: usize, y: usize| raw[y * (side + 1) + 1 + x];
        let origin = QUIET_ZONE * SCALE;
        // Finder patterns: dark corners; the quiet zone is light.
        assert_eq!(pixel(origin, origin), 0x00);
        assert_eq!(pixel(0, 0), 0xff);
        assert_eq!(code[(0, 0)], Color::Dark);
        let crc_at = 41 + idat_len;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&png[37..crc_at]);
        assert_eq!(
            u32::from_be_bytes(png[crc_at..crc_at + 4].try_into().unwrap()),
            crc.finalize()
        );
    }
}
