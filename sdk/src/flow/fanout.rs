//! Bounded concurrency inside one invocation, keeping each user's events in order.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::{StreamExt, stream};

use crate::error::{PartnerError, Settlement};

/// Sends items with at most `max_in_flight` calls at once (0 counts as 1), keeping per-user
/// order: the items of one user (`user_of`) are sent one after another, sorted by `order_of`
/// (a timestamp; equal keys keep their input order), while different users proceed
/// concurrently.
///
/// Outcomes follow [`process_batch`](crate::partner::process_batch): a
/// [`Permanent`](PartnerError::Permanent) failure is logged and the user's next item is sent;
/// any other error stops that user's sequence (its later items are not sent out of order) and
/// no new call is started for anyone; calls already in flight finish. The first such error is
/// returned, a [`SuspendSubscription`](PartnerError::SuspendSubscription) taking precedence.
///
/// An event batch carries one user's events, so there every item has the same user and the
/// calls run one by one; audience membership changes, or items that need no order (key them by
/// their own id), fan out. The bound is per invocation; rate limits are per execution
/// environment (see the [module docs](super)).
///
/// ```
/// use std::sync::Mutex;
/// use mparticle_firehose::flow::fan_out_by_user;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), mparticle_firehose::PartnerError> {
/// let events = vec![("ann", 3), ("bob", 1), ("ann", 1), ("ann", 2)];
/// let sent = Mutex::new(Vec::new());
/// fan_out_by_user(events, 8, |e| e.0, |e| e.1, |e| {
///     let sent = &sent;
///     async move {
///         // partner_api.post("track").json(&e).send(ctx).await?;
///         sent.lock().unwrap().push(e);
///         Ok(())
///     }
/// })
/// .await?;
/// let sent = sent.into_inner().unwrap();
/// let ann: Vec<_> = sent.iter().filter(|e| e.0 == "ann").map(|e| e.1).collect();
/// assert_eq!(ann, [1, 2, 3]);
/// # Ok(()) }
/// ```
pub async fn fan_out_by_user<T, U, O, F, Fut>(
    items: impl IntoIterator<Item = T>,
    max_in_flight: usize,
    user_of: impl Fn(&T) -> U,
    order_of: impl Fn(&T) -> O,
    send: F,
) -> Result<(), PartnerError>
where
    U: Hash + Eq,
    O: Ord,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<(), PartnerError>>,
{
    let groups = group_by_user(items, user_of, order_of);
    let stop = AtomicBool::new(false);
    let (send, stop) = (&send, &stop);
    let mut outcomes = stream::iter(groups)
        .map(|group| async move {
            for item in group {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Err(e) = send(item).await else { continue };
                match e.settle("item") {
                    Settlement::Dropped => {}
                    Settlement::Suspend(e) | Settlement::Fail(e) => {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            Ok(())
        })
        .buffer_unordered(max_in_flight.max(1));
    let mut first: Option<PartnerError> = None;
    while let Some(outcome) = outcomes.next().await {
        let Err(e) = outcome else { continue };
        let keep = matches!(first, Some(PartnerError::SuspendSubscription { .. }))
            || (first.is_some() && !matches!(e, PartnerError::SuspendSubscription { .. }));
        if !keep {
            first = Some(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// The items grouped by user, users in order of first appearance, each group sorted (stably).
fn group_by_user<T, U: Hash + Eq, O: Ord>(
    items: impl IntoIterator<Item = T>,
    user_of: impl Fn(&T) -> U,
    order_of: impl Fn(&T) -> O,
) -> Vec<Vec<T>> {
    let mut index: HashMap<U, usize> = HashMap::new();
    let mut groups: Vec<Vec<T>> = Vec::new();
    for item in items {
        let slot = *index.entry(user_of(&item)).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        if let Some(group) = groups.get_mut(slot) {
            group.push(item);
        }
    }
    for group in &mut groups {
        group.sort_by_cached_key(&order_of);
    }
    groups
}
