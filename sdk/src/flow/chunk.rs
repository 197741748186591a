//! Splitting items into chunks for bulk partner APIs, by count and by encoded size.

use std::io;

use serde::Serialize;

/// The limits of one bulk call: at most `max_items` items and `max_bytes` encoded bytes,
/// counting `frame_bytes` per chunk (brackets, an envelope) and `separator_bytes` between items.
///
/// ```
/// use mparticle_firehose::flow::ChunkLimits;
///
/// // New Relic-style: 1,000 events and 1 MB per call, as a JSON array in {"events":[...]}.
/// let limits = ChunkLimits::json_array(1_000, 1_000_000).with_envelope(r#"{"events":}"#.len());
/// assert_eq!(limits.frame_bytes, 13);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChunkLimits {
    /// Items per chunk (0 counts as 1).
    pub max_items: usize,
    /// Encoded bytes per chunk, frame and separators included.
    pub max_bytes: usize,
    /// Bytes every chunk costs besides its items.
    pub frame_bytes: usize,
    /// Bytes between two items.
    pub separator_bytes: usize,
}

impl ChunkLimits {
    /// Count and byte limits, with no frame or separator bytes.
    pub fn new(max_items: usize, max_bytes: usize) -> Self {
        Self {
            max_items,
            max_bytes,
            frame_bytes: 0,
            separator_bytes: 0,
        }
    }

    /// Limits for a JSON array body: `[` and `]` per chunk, a comma between items.
    pub fn json_array(max_items: usize, max_bytes: usize) -> Self {
        Self {
            frame_bytes: 2,
            separator_bytes: 1,
            ..Self::new(max_items, max_bytes)
        }
    }

    /// Adds the bytes of an envelope around each chunk to the frame.
    pub fn with_envelope(mut self, bytes: usize) -> Self {
        self.frame_bytes = self.frame_bytes.saturating_add(bytes);
        self
    }
}

/// Items split into chunks, in their input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunked<T> {
    /// The chunks, none empty, each within the limits.
    pub chunks: Vec<Vec<T>>,
    /// Items too large to fit in any chunk on their own; the partner API would reject them.
    pub oversized: Vec<T>,
}

/// Splits `items`, in order, into chunks within `limits`; `size_of` gives an item's encoded
/// size.
///
/// ```
/// use mparticle_firehose::flow::{ChunkLimits, chunk};
///
/// let words = ["alpha", "beta", "gamma", "delta", "a-very-long-word"];
/// let chunked = chunk(words, ChunkLimits::new(3, 10), |w| w.len());
/// assert_eq!(chunked.chunks, vec![vec!["alpha", "beta"], vec!["gamma", "delta"]]);
/// assert_eq!(chunked.oversized, vec!["a-very-long-word"]);
/// ```
pub fn chunk<T>(
    items: impl IntoIterator<Item = T>,
    limits: ChunkLimits,
    mut size_of: impl FnMut(&T) -> usize,
) -> Chunked<T> {
    let max_items = limits.max_items.max(1);
    let mut chunked = Chunked {
        chunks: Vec::new(),
        oversized: Vec::new(),
    };
    let mut current: Vec<T> = Vec::new();
    let mut bytes = limits.frame_bytes;
    for item in items {
        let size = size_of(&item);
        if limits.frame_bytes.saturating_add(size) > limits.max_bytes {
            chunked.oversized.push(item);
            continue;
        }
        let added = if current.is_empty() {
            size
        } else {
            size.saturating_add(limits.separator_bytes)
        };
        if !current.is_empty()
            && (current.len() >= max_items || bytes.saturating_add(added) > limits.max_bytes)
        {
            chunked.chunks.push(std::mem::take(&mut current));
            bytes = limits.frame_bytes.saturating_add(size);
        } else {
            bytes = bytes.saturating_add(added);
        }
        current.push(item);
    }
    if !current.is_empty() {
        chunked.chunks.push(current);
    }
    chunked
}

/// [`chunk`] by JSON-encoded size (`serde_json`, compact).
///
/// ```
/// use mparticle_firehose::flow::{ChunkLimits, chunk_json};
///
/// let ids: Vec<u32> = (0..10).collect();
/// // `[0,1,2]` is 7 bytes.
/// let chunked = chunk_json(ids, ChunkLimits::json_array(100, 7))?;
/// assert_eq!(chunked.chunks[0], vec![0, 1, 2]);
/// assert_eq!(chunked.chunks.len(), 4);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn chunk_json<T: Serialize>(
    items: impl IntoIterator<Item = T>,
    limits: ChunkLimits,
) -> Result<Chunked<T>, serde_json::Error> {
    let sized = items
        .into_iter()
        .map(|item| json_size(&item).map(|size| (item, size)))
        .collect::<Result<Vec<_>, _>>()?;
    let chunked = chunk(sized, limits, |(_, size)| *size);
    let strip = |v: Vec<(T, usize)>| v.into_iter().map(|(item, _)| item).collect::<Vec<_>>();
    Ok(Chunked {
        chunks: chunked.chunks.into_iter().map(strip).collect(),
        oversized: strip(chunked.oversized),
    })
}

/// The length of `value` encoded as compact JSON, without keeping the encoding.
///
/// ```
/// assert_eq!(mparticle_firehose::flow::json_size(&serde_json::json!({"a": [1, 2]}))?, 11);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn json_size<T: Serialize + ?Sized>(value: &T) -> Result<usize, serde_json::Error> {
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value)?;
    Ok(counter.0)
}

struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
