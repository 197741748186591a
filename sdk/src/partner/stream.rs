//! Streamed delivery: a batch's events handed to the partner a slice at a time, decoded as the
//! partner reads them.
//!
//! A Lambda invocation carries up to 6 MB. Decoded whole, a batch of that size is a model of
//! about twice its bytes, next to the payload itself: memory a partner pays for in its function's
//! size. In streamed delivery the SDK decodes the batch's other fields first, keeps the events'
//! bytes where they arrived, and decodes each slice when [`EventStream::next_slice`] asks for it,
//! so that only the slice at hand is a model.

use super::{Partner, RequestContext};
use crate::codec;
use crate::codec::InvalidElement;
use crate::error::{PartnerError, Settlement};
use crate::model::Event;
use crate::model::outline::RawEvents;
use crate::model::walk::Walk;

/// How the SDK hands event batches to a partner ([`Partner::event_delivery`]).
///
/// ```
/// use mparticle_firehose::partner::EventDelivery;
///
/// assert_eq!(EventDelivery::default(), EventDelivery::Whole);
/// assert_eq!(
///     EventDelivery::streamed(),
///     EventDelivery::Streamed { from_bytes: 512 * 1024 }
/// );
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventDelivery {
    /// Each batch is decoded whole and handed to [`Partner::on_event_batch`]. The default.
    #[default]
    Whole,
    /// Each batch goes to [`Partner::on_event_stream`], its events a slice at a time
    /// ([`EventStream`]). For partners that forward events in chunks and want a large batch
    /// served in little memory.
    Streamed {
        /// From this payload size on, the events are decoded as the partner reads them, so that
        /// only the slice at hand is a model. A smaller batch is decoded whole (faster: its
        /// events are read once) and its events are handed over the same way.
        from_bytes: usize,
    },
}

impl EventDelivery {
    /// The payload size from which [`streamed`](Self::streamed) decodes events as they are
    /// read: below it, a whole model is under a megabyte, less than the process itself.
    pub const STREAM_FROM_BYTES: usize = 512 * 1024;

    /// [`Streamed`](Self::Streamed) from [`STREAM_FROM_BYTES`](Self::STREAM_FROM_BYTES).
    pub const fn streamed() -> Self {
        Self::Streamed {
            from_bytes: Self::STREAM_FROM_BYTES,
        }
    }

    /// Whether batches go to [`Partner::on_event_stream`].
    pub(crate) fn is_streamed(self) -> bool {
        matches!(self, Self::Streamed { .. })
    }

    /// Whether a payload of `len` bytes is decoded as its events are read.
    pub(crate) fn reads_as_streamed(self, len: usize) -> bool {
        matches!(self, Self::Streamed { from_bytes } if len >= from_bytes)
    }
}

/// The events of a batch in streamed delivery, handed over a slice at a time
/// ([`next_slice`](Self::next_slice)). A large batch's events are decoded as they are read;
/// a batch under [`EventDelivery::Streamed`]'s `from_bytes` was decoded whole first.
///
/// Events that cannot be decoded are handed to [`Partner::on_invalid_element`] as the stream
/// reaches them, exactly as whole delivery hands them over before the batch, and are not in the
/// slices. An error that hook returns (other than a permanent one, which drops the element)
/// comes out of `next_slice`: return it, and the SDK answers as it would have for the batch.
///
/// ```
/// use mparticle_firehose::prelude::*;
///
/// struct Forwarder;
///
/// #[async_trait]
/// impl Partner for Forwarder {
///     fn registration(&self) -> ModuleRegistrationResponse {
///         ModuleRegistrationResponse::new("Forwarder", "1.0.0")
///     }
///
///     fn event_delivery(&self) -> EventDelivery {
///         EventDelivery::streamed()
///     }
///
///     async fn on_event_stream(
///         &self,
///         _ctx: &RequestContext,
///         batch: &EventProcessingRequest,
///         events: &mut EventStream<'_>,
///     ) -> Result<EventProcessingResponse, PartnerError> {
///         tracing::info!(mpid = ?batch.mpid, events = events.len(), "a batch");
///         while let Some(slice) = events.next_slice(500).await? {
///             // Send `slice` to the partner's API: at most 500 events are decoded at a time.
///             tracing::info!(events = slice.len(), "a slice");
///         }
///         Ok(EventProcessingResponse::default())
///     }
/// }
/// ```
pub struct EventStream<'a> {
    source: Source<'a>,
    /// The first event, when [`has_events`](Self::has_events) decoded it.
    first: Option<Event>,
    len: usize,
    read: usize,
    partner: &'a dyn Partner,
    ctx: &'a RequestContext,
}

/// Where the stream's events come from.
enum Source<'a> {
    /// The elements of the payload's `events` array, each decoded when it is read.
    Raw(RawEvents<'a>),
    /// The events of a batch that was decoded whole (queue and HTTP modes, or
    /// [`Dispatcher::dispatch`](crate::Dispatcher::dispatch)); its invalid elements were handed to
    /// the partner before.
    Decoded(std::vec::IntoIter<Event>),
}

impl<'a> EventStream<'a> {
    /// A stream over the elements of a batch's `events` array.
    pub(crate) fn raw(
        events: RawEvents<'a>,
        partner: &'a dyn Partner,
        ctx: &'a RequestContext,
    ) -> Self {
        Self {
            len: events.len(),
            source: Source::Raw(events),
            first: None,
            read: 0,
            partner,
            ctx,
        }
    }

    /// A stream over events already decoded.
    pub(crate) fn decoded(
        events: Vec<Event>,
        partner: &'a dyn Partner,
        ctx: &'a RequestContext,
    ) -> Self {
        Self {
            len: events.len(),
            source: Source::Decoded(events.into_iter()),
            first: None,
            read: 0,
            partner,
            ctx,
        }
    }

    /// How many events the batch holds, read or not (an element that cannot be decoded counts).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch holds no events at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many events are still to be read.
    pub fn remaining(&self) -> usize {
        self.len.saturating_sub(self.read) + usize::from(self.first.is_some())
    }

    /// The next events in array order, at most `max` of them (at least one is asked for when
    /// `max` is 0); `None` once every event has been read. A slice is shorter than `max` only
    /// at the end of the batch.
    ///
    /// # Errors
    /// What [`Partner::on_invalid_element`] returned for an event that cannot be decoded (or an
    /// invalid list element inside one), unless it was a permanent error, which drops the
    /// element as it does in whole delivery.
    pub async fn next_slice(&mut self, max: usize) -> Result<Option<Vec<Event>>, PartnerError> {
        let max = max.max(1);
        let mut slice = Vec::with_capacity(max.min(self.remaining() + 1));
        slice.extend(self.first.take());
        self.fill(&mut slice, max).await?;
        Ok((!slice.is_empty()).then_some(slice))
    }

    /// Whether the batch holds an event that decodes: reads up to the first one (handing the
    /// elements before it to the partner) and keeps it for the first slice.
    pub(crate) async fn has_events(&mut self) -> Result<bool, PartnerError> {
        if self.first.is_none() {
            let mut first = Vec::with_capacity(1);
            self.fill(&mut first, 1).await?;
            self.first = first.pop();
        }
        Ok(self.first.is_some())
    }

    /// Reads events into `slice` until it holds `max` or the batch ends.
    async fn fill(&mut self, slice: &mut Vec<Event>, max: usize) -> Result<(), PartnerError> {
        while slice.len() < max {
            let raw = match &mut self.source {
                Source::Decoded(events) => match events.next() {
                    Some(event) => {
                        self.read += 1;
                        slice.push(event);
                        continue;
                    }
                    None => break,
                },
                Source::Raw(events) => match events.next_element() {
                    Some(raw) => raw,
                    None => break,
                },
            };
            let index = self.read;
            self.read += 1;
            match codec::decode_element::<Event>(raw, "events", index) {
                Ok(event) => {
                    // Lists inside the event (a product action's products, ...) keep their own
                    // invalid elements, handed over before the event as whole delivery does.
                    let mut inside = Vec::new();
                    event.walk(&mut inside);
                    for element in inside {
                        self.hand_over(element).await?;
                    }
                    slice.push(event);
                }
                Err(element) => self.hand_over(&element).await?,
            }
        }
        Ok(())
    }

    /// Hands an element that cannot be decoded to the partner, settled as whole delivery does.
    async fn hand_over(&self, element: &InvalidElement) -> Result<(), PartnerError> {
        let Err(e) = self.partner.on_invalid_element(self.ctx, element).await else {
            return Ok(());
        };
        match e.settle("invalid element") {
            Settlement::Dropped => Ok(()),
            Settlement::Suspend(e) | Settlement::Fail(e) => Err(e),
        }
    }
}

impl std::fmt::Debug for EventStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("len", &self.len)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}
