//! Reading a message from a file or standard input.

use std::io::Read;
use std::path::Path;

/// Reads all of `path`, or standard input when `path` is `-` or absent.
pub fn read(path: Option<&Path>) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    match path {
        Some(p) if p != Path::new("-") => {
            std::fs::File::open(p)?.read_to_end(&mut buf)?;
        }
        _ => {
            std::io::stdin().lock().read_to_end(&mut buf)?;
        }
    }
    Ok(buf)
}
