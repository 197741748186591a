//! The request body as the Firehose message's bytes: base64 undone when the event says so,
//! gzip undone when `Content-Encoding` says so, each step under a size limit.

use std::borrow::Cow;
use std::io::Read;

use base64::Engine as _;

/// The largest body read: Lambda's limit for a synchronous invocation's payload (6 MB), which
/// no HTTP event can exceed anyway.
pub const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// The largest body once decompressed: the same 6 MB, the largest message a direct invocation
/// can carry. A gzip body that inflates beyond it (a "gzip bomb") is refused while inflating,
/// without allocating more.
pub const MAX_DECOMPRESSED_BYTES: usize = 6 * 1024 * 1024;

/// Why a request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error("the request body has {size} bytes; at most {limit} are accepted")]
    TooLarge {
        /// The body's size in bytes (as received, or after base64 decoding).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The gzip body inflates beyond [`MAX_DECOMPRESSED_BYTES`].
    #[error("the gzip request body inflates beyond {limit} bytes")]
    InflatesTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The event says the body is base64 but it is not.
    #[error("the request body is marked base64-encoded but is not valid base64: {0}")]
    InvalidBase64(String),
    /// `Content-Encoding: gzip`, but the body is not valid gzip.
    #[error("the request body is marked gzip-encoded but is not valid gzip: {0}")]
    InvalidGzip(String),
    /// A `Content-Encoding` other than `gzip` or `identity`.
    #[error("unsupported Content-Encoding {0:?}: send identity or gzip")]
    UnsupportedEncoding(String),
}

/// The message bytes of a request body. `content_encoding` holds every `Content-Encoding`
/// header value, in order.
pub(crate) fn read<'a>(
    body: Option<&'a str>,
    base64_encoded: bool,
    content_encoding: &[&[u8]],
) -> Result<Cow<'a, [u8]>, BodyError> {
    let raw = body.unwrap_or_default();
    if raw.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge {
            size: raw.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    let bytes: Cow<'a, [u8]> = if base64_encoded {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(raw.trim_ascii())
            .map_err(|e| BodyError::InvalidBase64(e.to_string()))?;
        Cow::Owned(decoded)
    } else {
        Cow::Borrowed(raw.as_bytes())
    };
    if gzipped(content_encoding)? {
        inflate(&bytes, MAX_DECOMPRESSED_BYTES).map(Cow::Owned)
    } else {
        Ok(bytes)
    }
}

/// Whether the codings say gzip (once); `identity` is ignored, anything else is refused.
fn gzipped(content_encoding: &[&[u8]]) -> Result<bool, BodyError> {
    let mut gzip = false;
    for coding in content_encoding
        .iter()
        .flat_map(|value| value.split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|c| !c.is_empty())
    {
        if coding.eq_ignore_ascii_case(b"identity") {
            continue;
        }
        let is_gzip =
            coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip");
        if !is_gzip || gzip {
            // Twice gzip is legal HTTP, but no client sends it: refusing it bounds the work.
            let all: Vec<String> = content_encoding
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            return Err(BodyError::UnsupportedEncoding(all.join(", ")));
        }
        gzip = true;
    }
    Ok(gzip)
}

/// Inflates a gzip stream (every member), refusing to produce more than `limit` bytes.
fn inflate(compressed: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    let decoder = flate2::read::MultiGzDecoder::new(compressed);
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit));
    // One byte more than allowed tells "exactly at the limit" from "beyond it".
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::InvalidGzip(e.to_string()))?;
    if out.len() > limit {
        return Err(BodyError::InflatesTooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn plain_base64_and_gzip_bodies_are_read() {
        let json = br#"{"type":"module_registration_request"}"#;
        let text = std::str::from_utf8(json).unwrap();
        assert_eq!(read(Some(text), false, &[]).unwrap().as_ref(), json);
        assert_eq!(read(Some(&b64(json)), true, &[]).unwrap().as_ref(), json);
        let gz = b64(&gzip(json));
        assert_eq!(read(Some(&gz), true, &[b"gzip"]).unwrap().as_ref(), json);
        assert_eq!(
            read(Some(&gz), true, &[b" GZIP , identity"])
                .unwrap()
                .as_ref(),
            json
        );
        assert_eq!(
            read(Some(text), false, &[b"identity"]).unwrap().as_ref(),
            json
        );
        assert_eq!(read(None, false, &[]).unwrap().as_ref(), b"");
    }

    #[test]
    fn bad_bodies_are_typed_errors() {
        assert!(matches!(
            read(Some("not base64!"), true, &[]),
            Err(BodyError::InvalidBase64(_))
        ));
        assert!(matches!(
            read(Some("{}"), false, &[b"gzip"]),
            Err(BodyError::InvalidGzip(_))
        ));
        // A truncated gzip stream.
        let gz = gzip(&[b'x'; 1000]);
        assert!(matches!(
            read(Some(&b64(&gz[..gz.len() / 2])), true, &[b"gzip"]),
            Err(BodyError::InvalidGzip(_))
        ));
        for coding in [&b"br"[..], b"deflate", b"gzip, gzip", b"gzip, br"] {
            assert!(
                matches!(
                    read(Some("{}"), false, &[coding]),
                    Err(BodyError::UnsupportedEncoding(_))
                ),
                "{coding:?}"
            );
        }
        let huge = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(
            read(Some(&huge), false, &[]).unwrap_err(),
            BodyError::TooLarge {
                size: MAX_BODY_BYTES + 1,
                limit: MAX_BODY_BYTES
            }
        );
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![b'0'; MAX_DECOMPRESSED_BYTES + 1]);
        assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
        assert_eq!(
            read(Some(&b64(&bomb)), true, &[b"gzip"]).unwrap_err(),
            BodyError::InflatesTooLarge {
                limit: MAX_DECOMPRESSED_BYTES
            }
        );
        let exact = gzip(&vec![b'0'; MAX_DECOMPRESSED_BYTES]);
        assert_eq!(
            read(Some(&b64(&exact)), true, &[b"gzip"]).unwrap().len(),
            MAX_DECOMPRESSED_BYTES
        );
    }
}
