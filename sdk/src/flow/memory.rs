//! Back-off memory: a partner's "come back later" outlives the invocation that heard it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::budget::{Budget, WaitTooLong};

/// The longest a partner's back-off is remembered, whatever it asked (a wrong clock or a
/// careless `Retry-After` must not silence an integration for hours).
const LONGEST_MEMORY: Duration = Duration::from_secs(15 * 60);

/// Sweep expired entries once the map holds this many keys.
const SWEEP_AT: usize = 256;

/// Remembers, per partner key, until when the partner asked not to be called (a `429` with
/// `Retry-After`), so that later invocations in the same execution environment do not call it
/// before then: [`wait`](Self::wait) waits if the back-off ends within the budget and otherwise
/// fails fast, without calling the partner.
///
/// Shared by clones; one per execution environment (the memory is not global: other
/// environments learn of the back-off from their own calls). A back-off is remembered for at
/// most 15 minutes.
///
/// ```
/// use std::time::Duration;
/// use mparticle_firehose::flow::{BackoffMemory, Budget, BudgetPolicy};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let memory = BackoffMemory::new();
/// memory.remember("api-key-1", Duration::from_secs(60));
/// let budget = Budget::after(Duration::from_secs(20), &BudgetPolicy::default());
/// // 60 s does not fit: fail fast (as retry-later after 60 s), without calling the partner.
/// assert!(memory.wait("api-key-1", &budget).await.is_err());
/// // Other keys are not affected.
/// assert!(memory.wait("api-key-2", &budget).await.is_ok());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct BackoffMemory {
    until: Arc<Mutex<HashMap<String, Instant>>>,
}

impl BackoffMemory {
    /// An empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers that `key` must not be called for `wait` from now (at most 15 minutes). An
    /// earlier, longer back-off is kept.
    pub fn remember(&self, key: &str, wait: Duration) {
        let now = Instant::now();
        let until = now + wait.min(LONGEST_MEMORY);
        let mut map = self.map();
        if map.len() >= SWEEP_AT {
            map.retain(|_, t| *t > now);
        }
        match map.get_mut(key) {
            Some(t) => *t = (*t).max(until),
            None => {
                map.insert(key.to_owned(), until);
            }
        }
    }

    /// How long `key` is still backed off, if it is.
    pub fn blocked_for(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.map();
        let until = *map.get(key)?;
        if until > now {
            Some(until - now)
        } else {
            map.remove(key);
            None
        }
    }

    /// Forgets the back-off of `key`.
    pub fn forget(&self, key: &str) {
        self.map().remove(key);
    }

    /// Returns at once if `key` is not backed off; waits for the end of its back-off if the
    /// [`Budget`] allows that wait; otherwise fails fast with the time still to wait.
    pub async fn wait(&self, key: &str, budget: &Budget) -> Result<(), WaitTooLong> {
        match self.blocked_for(key) {
            None => Ok(()),
            Some(wait) => budget.sleep(wait).await,
        }
    }
}
