//! Flow control logic on tokio's paused clock: budgets from the deadline, back-off, back-off
//! memory and keyed rate limits. No sockets: every wait here is virtual time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mparticle_firehose::PartnerError;
use mparticle_firehose::flow::{
    BackoffMemory, Budget, BudgetPolicy, KeyedLimiter, RateLimit, RetryPolicy,
};
use mparticle_firehose::testing::{InvocationBuilder, context_for};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test(start_paused = true)]
async fn the_budget_ends_the_headroom_before_the_deadline() {
    let ctx = context_for(InvocationBuilder::new().deadline_in(secs(10)).build());
    let budget = Budget::for_context(&ctx, &BudgetPolicy::default());
    // The paused clock froze when the runtime started, a moment before the deadline was set.
    let left = budget.remaining();
    assert!(left <= Duration::from_millis(9_550), "{left:?}");
    assert!(left > Duration::from_millis(9_000), "{left:?}");

    let mut policy = BudgetPolicy::default();
    policy.headroom = secs(2);
    let budget = Budget::for_context(&ctx, &policy);
    assert!(budget.remaining() <= Duration::from_millis(8_050));
}

#[tokio::test(start_paused = true)]
async fn an_unknown_deadline_gets_the_default_budget() {
    let ctx = context_for(InvocationBuilder::new().no_deadline().build());
    let budget = Budget::for_context(&ctx, &BudgetPolicy::default());
    assert_eq!(budget.remaining(), secs(25));

    let mut policy = BudgetPolicy::default();
    policy.default_budget = secs(3);
    assert_eq!(Budget::for_context(&ctx, &policy).remaining(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_deadline_inside_the_headroom_leaves_no_budget() {
    let ctx = context_for(
        InvocationBuilder::new()
            .deadline_in(Duration::from_millis(300))
            .build(),
    );
    let budget = Budget::for_context(&ctx, &BudgetPolicy::default());
    assert!(budget.is_spent());
    assert_eq!(budget.attempt_timeout(secs(10)), None);
    assert!(budget.check_wait(Duration::ZERO).is_err());
}

#[tokio::test(start_paused = true)]
async fn waits_must_leave_time_for_an_attempt_and_stay_under_max_wait() {
    let policy = BudgetPolicy::default();
    let budget = Budget::after(secs(2), &policy);
    assert!(budget.check_wait(Duration::from_millis(1_900)).is_ok());
    // 1.95 s + the 100 ms minimum attempt does not fit in 2 s.
    let refused = budget.check_wait(Duration::from_millis(1_950)).unwrap_err();
    assert_eq!(refused.wait, Duration::from_millis(1_950));
    assert_eq!(refused.left, secs(2));

    // Plenty of time, but longer than max_wait (5 s).
    let long = Budget::after(secs(60), &policy);
    assert!(long.check_wait(secs(5)).is_ok());
    let refused = long.check_wait(secs(6)).unwrap_err();
    let err: PartnerError = refused.into();
    assert_eq!(
        err,
        PartnerError::RetryLater {
            reason: refused.to_string(),
            retry_after: Some(secs(6)),
        }
    );

    // Attempt timeouts are capped by the time left.
    assert_eq!(long.attempt_timeout(secs(10)), Some(secs(10)));
    assert_eq!(budget.attempt_timeout(secs(10)), Some(secs(2)));
}

#[tokio::test(start_paused = true)]
async fn a_refused_sleep_returns_at_once_and_sleeps_never_pass_the_cutoff() {
    let budget = Budget::after(secs(3), &BudgetPolicy::default());
    let start = Instant::now();
    assert!(budget.sleep(secs(60)).await.is_err());
    assert_eq!(Instant::now(), start, "a refused wait must not sleep");

    let policy = RetryPolicy::new(100).with_delays(Duration::from_millis(200), secs(1));
    let mut slept = 0;
    for retry in 1..100 {
        if budget.sleep(policy.delay(retry)).await.is_err() {
            break;
        }
        slept += 1;
        assert!(Instant::now() <= budget.cutoff());
    }
    assert!(slept >= 2, "{slept}");
    assert!(Instant::now() <= budget.cutoff());
    // What is left is less than the longest back-off plus the minimum attempt.
    assert!(budget.remaining() < secs(1) + Duration::from_millis(100));
}

#[test]
fn back_off_is_exponential_jittered_and_capped() {
    let policy = RetryPolicy::new(5).with_delays(Duration::from_millis(100), secs(2));
    assert_eq!(policy.attempts(), 5);
    assert_eq!(RetryPolicy::new(0).attempts(), 1);
    assert_eq!(RetryPolicy::no_retries().attempts(), 1);
    let ceilings: Vec<_> = (1..=7).map(|r| policy.ceiling(r)).collect();
    assert_eq!(
        ceilings,
        [100, 200, 400, 800, 1_600, 2_000, 2_000].map(Duration::from_millis)
    );
    assert_eq!(policy.ceiling(u32::MAX), secs(2));
    let mut distinct = std::collections::HashSet::new();
    for retry in 1..=10 {
        for _ in 0..200 {
            let delay = policy.delay(retry);
            let ceiling = policy.ceiling(retry);
            assert!(delay >= ceiling / 2 && delay <= ceiling, "{delay:?}");
            distinct.insert(delay);
        }
    }
    assert!(distinct.len() > 100, "the delays are not jittered");
}

#[tokio::test(start_paused = true)]
async fn back_off_memory_fails_fast_until_the_time_has_passed() {
    let memory = BackoffMemory::new();
    memory.remember("key-a", secs(60));
    let budget = Budget::after(secs(20), &BudgetPolicy::default());

    let start = Instant::now();
    let refused = memory.wait("key-a", &budget).await.unwrap_err();
    assert_eq!(Instant::now(), start, "failing fast does not wait");
    assert_eq!(refused.wait, secs(60));
    assert!(memory.wait("key-b", &budget).await.is_ok());

    tokio::time::advance(secs(30)).await;
    assert_eq!(memory.blocked_for("key-a"), Some(secs(30)));
    tokio::time::advance(secs(31)).await;
    assert_eq!(memory.blocked_for("key-a"), None);
    let budget = Budget::after(secs(20), &BudgetPolicy::default());
    let start = Instant::now();
    assert!(memory.wait("key-a", &budget).await.is_ok());
    assert_eq!(Instant::now(), start);
}

#[tokio::test(start_paused = true)]
async fn a_back_off_that_fits_is_waited() {
    let memory = BackoffMemory::new();
    memory.remember("key", secs(2));
    let budget = Budget::after(secs(20), &BudgetPolicy::default());
    let start = Instant::now();
    memory.wait("key", &budget).await.unwrap();
    assert_eq!(Instant::now() - start, secs(2));
    assert_eq!(memory.blocked_for("key"), None);
}

#[tokio::test(start_paused = true)]
async fn back_off_memory_keeps_the_longer_wait_caps_it_and_forgets() {
    let memory = BackoffMemory::new();
    memory.remember("key", secs(60));
    memory.remember("key", secs(5));
    assert_eq!(memory.blocked_for("key"), Some(secs(60)));
    memory.remember("key", secs(24 * 3600));
    assert_eq!(memory.blocked_for("key"), Some(secs(15 * 60)));
    let shared = memory.clone();
    shared.forget("key");
    assert_eq!(memory.blocked_for("key"), None);
}

#[test]
fn rate_limits_and_their_per_environment_share() {
    let limit = RateLimit::per_second(100).unwrap();
    assert_eq!(limit.replenish_interval(), 10 * MS);
    assert_eq!(limit.burst(), 10);
    assert_eq!(RateLimit::per_second(5).unwrap().burst(), 1);
    assert_eq!(
        RateLimit::per_minute(60).unwrap().replenish_interval(),
        secs(1)
    );
    // Rounded up: never looser than asked.
    assert_eq!(
        RateLimit::per_second(3).unwrap().replenish_interval(),
        Duration::from_nanos(333_333_334)
    );
    assert!(RateLimit::per_second(0).is_err());
    assert!(RateLimit::new(10, Duration::ZERO).is_err());
    // Rounded up to a whole nanosecond.
    assert_eq!(
        RateLimit::new(10, Duration::from_nanos(5))
            .unwrap()
            .replenish_interval(),
        Duration::from_nanos(1)
    );
    let e: PartnerError = RateLimit::per_second(0).unwrap_err().into();
    assert!(matches!(e, PartnerError::InvalidRequest { .. }));

    let global = RateLimit::per_second(1_000).unwrap().with_burst(200);
    let share = global.per_environment(100);
    assert_eq!(share.replenish_interval(), 100 * MS);
    assert_eq!(share.burst(), 2);
    assert!((share.requests_per_second() - 10.0).abs() < 1e-9);
    // The shares add up to the global rate.
    assert!((share.requests_per_second() * 100.0 - global.requests_per_second()).abs() < 1e-6);
    assert_eq!(global.per_environment(0), global.per_environment(1));
    assert_eq!(global.per_environment(1000).burst(), 1);
    assert_eq!(global.with_burst(0).burst(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_limiter_spaces_permits_within_the_budget() {
    let limiter = KeyedLimiter::new(RateLimit::per_second(10).unwrap().with_burst(1));
    let budget = Budget::after(secs(10), &BudgetPolicy::default());
    let start = Instant::now();
    for _ in 0..5 {
        limiter.acquire("account:1", &budget).await.unwrap();
    }
    assert_eq!(Instant::now() - start, 400 * MS);
    // Another key has its own permits.
    let other = Instant::now();
    limiter.acquire("account:2", &budget).await.unwrap();
    assert_eq!(Instant::now(), other);
}

#[tokio::test(start_paused = true)]
async fn the_limiter_fails_fast_when_the_permit_comes_too_late() {
    let limiter = KeyedLimiter::new(RateLimit::per_minute(1).unwrap());
    let budget = Budget::after(secs(20), &BudgetPolicy::default());
    limiter.acquire("k", &budget).await.unwrap();
    let start = Instant::now();
    let refused = limiter.acquire("k", &budget).await.unwrap_err();
    assert_eq!(Instant::now(), start);
    assert!(
        refused.wait > secs(59) && refused.wait <= secs(60),
        "{refused:?}"
    );
    assert!(
        limiter.check("k").is_err(),
        "a refused acquire takes nothing"
    );

    tokio::time::advance(secs(60)).await;
    assert!(limiter.check("k").is_ok());
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_stay_within_quota_plus_burst() {
    let limiter = KeyedLimiter::new(RateLimit::per_second(10).unwrap().with_burst(3));
    let granted = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (limiter, granted) = (limiter.clone(), Arc::clone(&granted));
        tasks.push(tokio::spawn(async move {
            let budget = Budget::after(secs(60), &BudgetPolicy::default());
            for _ in 0..6 {
                limiter.acquire("shared", &budget).await.unwrap();
                granted.lock().unwrap().push(Instant::now() - start);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut granted = granted.lock().unwrap().clone();
    granted.sort();
    assert_eq!(granted.len(), 48);
    for (i, t) in granted.iter().enumerate() {
        let in_window = granted[i..]
            .iter()
            .take_while(|u| **u < *t + secs(1))
            .count();
        assert!(
            in_window <= 13,
            "{in_window} permits in the second from {t:?}"
        );
    }
    // 48 permits at 10/s with a burst of 3: the last comes at 4.5 s.
    assert_eq!(*granted.last().unwrap(), 4_500 * MS);
}
