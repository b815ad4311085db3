//! authd on a Redis Cluster (`REDIS_URL=redis+cluster://…`): a private
//! three-master cluster started by the test, real flows through it, and one
//! master killed mid-test (requests that need it fail closed with a quick
//! 503, and succeed again once it is back, without restarting authd).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::helpers::{TestApp, missing_prerequisite, spawn_app_with, spawn_sibling};
use crate::private_services::{free_port, wait_for_port};

/// Three `redis-server --cluster-enabled yes` masters (no replicas, no
/// persistence) in a temporary folder; killed on drop.
struct PrivateCluster {
    dir: tempfile::TempDir,
    nodes: Vec<Node>,
}

struct Node {
    port: u16,
    bus_port: u16,
    child: Option<Child>,
}

impl PrivateCluster {
    /// `None` (after a note, or a failure when CI is set) when redis-server
    /// is not installed.
    async fn start() -> Option<PrivateCluster> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            missing_prerequisite("redis-server is not installed (Redis Cluster tests)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cluster = PrivateCluster {
            dir,
            nodes: Vec::new(),
        };
        // Six distinct ports: each node's and its bus port (given, since
        // port + 10000 may not exist).
        let mut ports: Vec<u16> = Vec::new();
        while ports.len() < 6 {
            let port = free_port();
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
        for pair in ports.chunks(2) {
            cluster.nodes.push(Node {
                port: pair[0],
                bus_port: pair[1],
                child: None,
            });
        }
        for i in 0..3 {
            cluster.spawn(i).await;
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(created.success(), "redis-cli --cluster create failed");
        cluster.wait_state("ok").await;
        Some(cluster)
    }

    async fn spawn(&mut self, i: usize) {
        let dir = self.dir.path();
        let node = &mut self.nodes[i];
        node.child = Some(spawn_node(dir, node.port, node.bus_port));
        assert!(
            wait_for_port(node.port, Duration::from_secs(10)).await,
            "redis-server {} did not start",
            node.port
        );
    }

    fn url(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    /// SIGKILL, as a crash would.
    fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Empties one node, as a restart without persistence would.
    fn flush(&self, i: usize) {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.nodes[i].port))
            .expect("node URL");
        let mut conn = client.get_connection().expect("node connection");
        let _: () = redis::cmd("FLUSHALL").query(&mut conn).expect("FLUSHALL");
    }

    /// Waits until every running node reports `cluster_state:<state>`.
    async fn wait_state(&self, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let all = self
                .nodes
                .iter()
                .filter(|n| n.child.is_some())
                .all(|n| cluster_info(n.port).contains(&format!("cluster_state:{state}")));
            if all {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster never reached cluster_state:{state}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The node that holds `key` (asked of each node directly: the others
    /// answer MOVED).
    fn owner_of(&self, key: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| {
                let client = redis::Client::open(format!("redis://127.0.0.1:{}", n.port)).unwrap();
                let mut conn = client.get_connection().unwrap();
                redis::cmd("EXISTS")
                    .arg(key)
                    .query::<i64>(&mut conn)
                    .is_ok_and(|n| n == 1)
            })
            .unwrap_or_else(|| panic!("no node holds {key}"))
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

fn spawn_node(dir: &Path, port: u16, bus_port: u16) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--cluster-enabled", "yes"])
        .args(["--cluster-port", &bus_port.to_string()])
        .arg("--cluster-config-file")
        .arg(dir.join(format!("nodes-{port}.conf")))
        .args(["--cluster-node-timeout", "1000"])
        .arg("--dir")
        .arg(dir)
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server")
}

fn cluster_info(port: u16) -> String {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .and_then(|c| c.get_connection())
        .and_then(|mut conn| redis::cmd("CLUSTER").arg("INFO").query(&mut conn))
        .unwrap_or_default()
}

/// A claim of a JWT, read without checking it.
fn claim(token: &str, name: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims[name].as_str().expect("a string claim").to_owned()
}

async fn app_on(cluster: &PrivateCluster, prefix: &str) -> TestApp {
    spawn_app_with(&[
        ("REDIS_URL", &cluster.url()),
        ("AUTH_REDIS_PREFIX", prefix),
        ("AUTH_REFRESH_REUSE_GRACE", "0"),
    ])
    .await
}

#[actix_web::test]
async fn on_a_redis_cluster_sessions_refresh_revocation_and_counters_work_across_instances() {
    let Some(cluster) = PrivateCluster::start().await else {
        return;
    };
    let app = app_on(&cluster, "cluster:").await;
    assert_eq!(app.state.store.kind(), "redis-cluster");
    let other = spawn_sibling(&app, &[]).await;

    // Register, log in, me, refresh with rotation and reuse detection.
    let alice = app.verified_user().await;
    let first = app.login_user(&alice).await;
    assert_eq!(app.get("/v1/me", Some(&first.access)).await.status, 200);
    let rotated = app.refresh(&first.refresh).await;
    rotated.assert_status(200);
    let second_access = rotated.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(other.get("/v1/me", Some(&second_access)).await.status, 200);
    other
        .refresh(&first.refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    assert_eq!(
        app.get("/v1/me", Some(&second_access)).await.status,
        401,
        "reusing a spent refresh token revoked the session"
    );

    // A logout on one instance is seen by the other.
    let second = app.login_user(&alice).await;
    assert_eq!(other.get("/v1/me", Some(&second.access)).await.status, 200);
    app.post_auth("/v1/auth/logout", &second.access, None)
        .await
        .assert_status(204);
    assert_eq!(other.get("/v1/me", Some(&second.access)).await.status, 401);

    // The lockout (one Lua script over two keys sharing a hash tag) counts
    // failures from both instances.
    let bob = app.verified_user().await;
    for i in 0..5 {
        let instance = if i % 2 == 0 { &app } else { &other };
        instance
            .login(&bob.email, "Wrong-passw0rd!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    other
        .login(&bob.email, &bob.password)
        .await
        .assert_problem(429, "account_locked");

    // A single-use value (a WebAuthn challenge) is handed out once.
    app.state
        .store
        .put("webauthn:cluster", "state", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        other
            .state
            .store
            .take("webauthn:cluster")
            .await
            .unwrap()
            .as_deref(),
        Some("state")
    );
    assert_eq!(
        app.state.store.take("webauthn:cluster").await.unwrap(),
        None
    );
}

/// Polls `GET /v1/me` until it stops answering 503 and returns that
/// status; a 200 for `must_be_dead` fails at once.
async fn settled_me_status(app: &TestApp, access: &str, must_be_dead: bool) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = app.get("/v1/me", Some(access)).await.status;
        assert!(
            !(must_be_dead && status == 200),
            "a revoked access token worked around a master's loss"
        );
        if status != 503 {
            return status;
        }
        assert!(Instant::now() < deadline, "still 503 after 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_killed_master_fails_closed_quickly_and_authd_recovers_when_it_returns_empty() {
    let Some(mut cluster) = PrivateCluster::start().await else {
        return;
    };
    let prefix = "cluster-kill:";
    let app = app_on(&cluster, prefix).await;
    let alice = app.verified_user().await;
    let logged_out = app.login_user(&alice).await;
    let untouched = app.login_user(&alice).await;
    app.post_auth("/v1/auth/logout", &logged_out.access, None)
        .await
        .assert_status(204);
    assert_eq!(
        app.get("/v1/me", Some(&logged_out.access)).await.status,
        401
    );
    assert_eq!(app.get("/v1/me", Some(&untouched.access)).await.status, 200);

    // Kill the master holding the logged-out session's revocation.
    let revoked_key = format!(
        "{prefix}{}",
        authd::store::keys::revoked_session(&claim(&logged_out.access, "sid"))
    );
    let victim = cluster.owner_of(&revoked_key);

    // That master alone loses its data (the others keep theirs, and maybe
    // the user's keys): the revocation is gone, but so is its bucket's
    // generation key, so the token is refused until it is restored.
    cluster.flush(victim);
    assert_eq!(settled_me_status(&app, &logged_out.access, true).await, 401);

    cluster.kill(victim);

    let started = Instant::now();
    let status = app.get("/v1/me", Some(&logged_out.access)).await.status;
    assert_eq!(
        status, 503,
        "the revoked token's check needs the dead master"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "503 came after {:?}",
        started.elapsed()
    );
    // Once the others mark it failed, the whole cluster refuses, and every
    // check answers 503: never a 200 it cannot vouch for.
    cluster.wait_state("fail").await;
    let started = Instant::now();
    assert_eq!(app.get("/v1/me", Some(&untouched.access)).await.status, 503);
    assert_eq!(
        app.get("/v1/me", Some(&logged_out.access)).await.status,
        503
    );
    app.refresh(&untouched.refresh).await.assert_status(503);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "three 503s took {:?}",
        started.elapsed()
    );

    // The master comes back with its cluster config and no data: its
    // buckets' generation keys are gone, so checks there fail closed until
    // authd has restored the revocations, then the logged-out token stays
    // dead and the untouched session works, all without restarting authd.
    cluster.spawn(victim).await;
    cluster.wait_state("ok").await;
    assert_eq!(settled_me_status(&app, &logged_out.access, true).await, 401);
    assert_eq!(settled_me_status(&app, &untouched.access, false).await, 200);
    app.refresh(&untouched.refresh).await.assert_status(200);
}
