//! The same behavioural suite against both store implementations: the
//! in-process one always, Redis when TEST_REDIS_URL is set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use authd::store::{MemoryStore, RedisStore, Spend, Store};

use crate::helpers::redis_url;

/// A store, and the Redis URL and key prefix to clean up after it.
type StoreUnderTest = (Arc<dyn Store>, Option<(String, String)>);

async fn stores() -> Vec<StoreUnderTest> {
    let mut stores: Vec<StoreUnderTest> = vec![(Arc::new(MemoryStore::new()), None)];
    if let Some(url) = redis_url() {
        let prefix = format!("authd-test:{}:", uuid::Uuid::new_v4().simple());
        let store = RedisStore::connect(&url, &prefix).await.expect("redis");
        stores.push((Arc::new(store), Some((url, prefix))));
    }
    stores
}

fn cleanup(redis: &Option<(String, String)>) {
    if let Some((url, prefix)) = redis {
        crate::helpers::delete_redis_prefix(url, prefix);
    }
}

#[actix_web::test]
async fn spending_a_refresh_token_is_atomic_and_remembers_when() {
    for (store, redis) in stores().await {
        let kind = store.kind();
        let results = futures_util::future::join_all((0..20).map(|i| {
            let store = store.clone();
            async move {
                store
                    .spend_refresh("jti-1", 1000 + i, Duration::from_secs(60))
                    .await
                    .unwrap()
            }
        }))
        .await;
        let fresh = results.iter().filter(|r| **r == Spend::Fresh).count();
        assert_eq!(fresh, 1, "{kind}: exactly one spender wins");
        let firsts: Vec<i64> = results
            .iter()
            .filter_map(|r| match r {
                Spend::AlreadySpent { at_ms } => Some(*at_ms),
                Spend::Fresh => None,
            })
            .collect();
        assert!(
            firsts.windows(2).all(|w| w[0] == w[1]),
            "{kind}: one first-use time"
        );
        cleanup(&redis);
    }
}

/// A spend given back (issue 28: its rotation failed) leaves the token
/// unspent; only the spend made at that time is taken back, never a later
/// one.
#[actix_web::test]
async fn a_spend_given_back_leaves_the_token_unspent() {
    let ttl = Duration::from_secs(60);
    for (store, redis) in stores().await {
        let kind = store.kind();
        assert_eq!(
            store.spend_refresh("given-back", 10, ttl).await.unwrap(),
            Spend::Fresh
        );
        store.unspend_refresh("given-back", 10).await.unwrap();
        assert_eq!(
            store.spend_refresh("given-back", 20, ttl).await.unwrap(),
            Spend::Fresh,
            "{kind}: the given-back token spends afresh"
        );
        // Another request's spend (at 20) is not this one's (at 10) to take.
        store.unspend_refresh("given-back", 10).await.unwrap();
        assert_eq!(
            store.spend_refresh("given-back", 30, ttl).await.unwrap(),
            Spend::AlreadySpent { at_ms: 20 },
            "{kind}: a later spend stays"
        );
        // Giving back what was never spent is harmless.
        store.unspend_refresh("never-spent", 10).await.unwrap();
        assert_eq!(
            store.spend_refresh("never-spent", 40, ttl).await.unwrap(),
            Spend::Fresh
        );
        cleanup(&redis);
    }
}

/// Polls `check` every 100 ms until it holds; panics after 15 s.
async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn entries_expire_with_their_ttl() {
    const TTL: Duration = Duration::from_secs(2);
    for (store, redis) in stores().await {
        let kind = store.kind();
        let started = Instant::now();
        store.spend_refresh("short", 1, TTL).await.unwrap();
        store.revoke_sessions(&["s1".into()], TTL).await.unwrap();
        assert!(
            store.access_state("s1", "u").await.unwrap().session_revoked,
            "{kind}"
        );
        assert!(
            matches!(
                store
                    .spend_refresh("short", 3, Duration::from_secs(60))
                    .await
                    .unwrap(),
                Spend::AlreadySpent { at_ms: 1 }
            ),
            "{kind}"
        );
        wait_until(&format!("{kind}: the revocation expiring"), || {
            let store = store.clone();
            async move { !store.access_state("s1", "u").await.unwrap().session_revoked }
        })
        .await;
        assert!(started.elapsed() >= TTL / 2, "{kind}: expired early");
        wait_until(&format!("{kind}: the spent mark expiring"), || {
            let store = store.clone();
            async move {
                store
                    .spend_refresh("short", 2, Duration::from_secs(60))
                    .await
                    .unwrap()
                    == Spend::Fresh
            }
        })
        .await;
        cleanup(&redis);
    }
}

#[actix_web::test]
async fn access_state_reports_revocation_and_valid_after_in_one_call() {
    for (store, redis) in stores().await {
        let kind = store.kind();
        let state = store.access_state("s", "u").await.unwrap();
        assert!(
            !state.session_revoked && state.valid_after_ms.is_none(),
            "{kind}"
        );
        store
            .set_valid_after("u", 100, Duration::from_secs(60))
            .await
            .unwrap();
        store
            .set_valid_after("u", 50, Duration::from_secs(60))
            .await
            .unwrap();
        store
            .revoke_sessions(&["s".into(), "t".into()], Duration::from_secs(60))
            .await
            .unwrap();
        let state = store.access_state("s", "u").await.unwrap();
        assert!(state.session_revoked, "{kind}");
        assert_eq!(state.valid_after_ms, Some(100), "{kind}: never lowered");
        assert!(
            store
                .access_state("t", "other")
                .await
                .unwrap()
                .session_revoked,
            "{kind}"
        );
        assert_eq!(
            store
                .access_state("x", "other")
                .await
                .unwrap()
                .valid_after_ms,
            None,
            "{kind}"
        );
        cleanup(&redis);
    }
}

#[actix_web::test]
async fn window_counters_count_and_reset() {
    for (store, redis) in stores().await {
        let kind = store.kind();
        const WINDOW: Duration = Duration::from_secs(2);
        let started = Instant::now();
        for expected in 1..=3 {
            let c = store.hit_window("rl", WINDOW).await.unwrap();
            assert_eq!(c.count, expected, "{kind}");
            assert!(c.reset_in <= WINDOW, "{kind}");
        }
        assert_eq!(
            store.counter("rl").await.unwrap().map(|c| c.count),
            Some(3),
            "{kind}"
        );
        wait_until(&format!("{kind}: the window ending"), || {
            let store = store.clone();
            async move { store.counter("rl").await.unwrap().is_none() }
        })
        .await;
        assert!(started.elapsed() >= WINDOW / 2, "{kind}: ended early");
        assert_eq!(
            store
                .hit_window("rl", Duration::from_secs(60))
                .await
                .unwrap()
                .count,
            1,
            "{kind}"
        );

        // Extending counters live on after each hit; delete clears them.
        store
            .hit_extend("lock", Duration::from_secs(60))
            .await
            .unwrap();
        let c = store
            .hit_extend("lock", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(c.count, 2, "{kind}");
        assert!(c.reset_in > Duration::from_secs(58), "{kind}");
        store.delete("lock").await.unwrap();
        assert_eq!(store.counter("lock").await.unwrap(), None, "{kind}");
        cleanup(&redis);
    }
}

#[actix_web::test]
async fn concurrent_hits_are_all_counted() {
    for (store, redis) in stores().await {
        let kind = store.kind();
        futures_util::future::join_all((0..50).map(|_| {
            let store = store.clone();
            async move {
                store
                    .hit_window("many", Duration::from_secs(60))
                    .await
                    .unwrap()
            }
        }))
        .await;
        assert_eq!(
            store.counter("many").await.unwrap().unwrap().count,
            50,
            "{kind}"
        );
        cleanup(&redis);
    }
}

#[actix_web::test]
async fn redis_keys_live_under_the_prefix() {
    let Some(url) = crate::helpers::redis_url_or_skip("Redis key prefix") else {
        return;
    };
    let prefix = format!("authd-test:{}:", uuid::Uuid::new_v4().simple());
    let store = RedisStore::connect(&url, &prefix).await.unwrap();
    store
        .revoke_sessions(&["s".into()], Duration::from_secs(60))
        .await
        .unwrap();
    store
        .hit_window("rl:x", Duration::from_secs(60))
        .await
        .unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut conn)
        .unwrap();
    assert_eq!(keys.len(), 2);
    let ttl: i64 = redis::cmd("PTTL").arg(&keys[0]).query(&mut conn).unwrap();
    assert!(ttl > 0, "every key has a TTL");
    cleanup(&Some((url, prefix)));
}
