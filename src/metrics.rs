//! Prometheus metrics. Label values are bounded: route templates (never raw
//! paths), status codes, outcomes from a closed set; never emails or ids.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// The standard methods by name, anything else (a client may send any
/// token as a method) as `other`, so the label set stays bounded.
fn method_label(method: &str) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("other")
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

/// The labels of each metric (by its registered name), for the metrics
/// reference (`authd docs`, `docs/reference/metrics.md`); a test holds it to
/// the registry.
pub const LABELS: &[(&str, &str)] = &[
    (
        "http_requests",
        "`method`, `route` (the route template, `unmatched` for unknown paths), `status`",
    ),
    ("http_request_duration_seconds", "`method`, `route`"),
    ("logins", "`outcome`: `success` or the error code"),
    ("mfa_challenges", "`outcome`: `success` or the error code"),
    ("tokens_issued", "`kind`: `access`, `refresh`"),
    ("refresh_reuse_detected", ""),
    (
        "rate_limit_hits",
        "`kind`: the limit (`login`, `register`, `mail`, `refresh`, `lockout`, …)",
    ),
    ("mail_outbox_pending", ""),
    ("mail_outbox_retrying", ""),
    ("mail_outbox_dead", ""),
    ("db_pool_connections", "`state`: `idle`, `in_use`"),
    ("webhooks_pending", ""),
    ("webhooks_retrying", ""),
    ("webhooks_dead", ""),
    ("webhooks_delivered", ""),
    ("ssf_pushes_pending", ""),
    ("ssf_pushes_retrying", ""),
    ("ssf_pushes_dead", ""),
    ("ssf_pushes_delivered", ""),
    ("log_lines_dropped", ""),
];

static LOG_WRITER: std::sync::OnceLock<tracing_appender::non_blocking::ErrorCounter> =
    std::sync::OnceLock::new();

/// Exports the process's log writer's count of dropped lines (set once, by
/// `telemetry::init`).
pub fn count_dropped_log_lines(counter: tracing_appender::non_blocking::ErrorCounter) {
    drop(LOG_WRITER.set(counter));
}

/// Log lines the writer dropped because its buffer was full, since start.
pub fn dropped_log_lines() -> u64 {
    LOG_WRITER
        .get()
        .map_or(0, |counter| counter.dropped_lines() as u64)
}

/// The log writer's count of dropped lines, read at each scrape: the
/// writer is the process's, not one app's.
#[derive(Debug)]
struct LogLinesDropped;

impl Collector for LogLinesDropped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counter = ConstCounter::new(dropped_log_lines());
        let metric = encoder.encode_descriptor(
            "log_lines_dropped",
            "Log lines dropped because stdout did not keep up (the log writer's buffer was full)",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
}

/// One metric as the exposition names it: (name, type, help, labels).
pub struct Described {
    pub name: String,
    pub kind: String,
    pub help: String,
    pub labels: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    logins: Family<OutcomeLabels, Counter>,
    mfa_challenges: Family<OutcomeLabels, Counter>,
    tokens_issued: Family<KindLabels, Counter>,
    refresh_reuse: Counter,
    rate_limited: Family<KindLabels, Counter>,
    mail_queue: QueueGauges,
    pool: Family<StateLabels, Gauge>,
    webhook_queue: QueueGauges,
    webhooks_delivered: Counter,
    ssf_queue: QueueGauges,
    ssf_delivered: Counter,
}

/// The counts of the three delivery outboxes at a scrape; None where the
/// database could not be read (a scrape must not fail with it).
pub struct Queues {
    pub mail: Option<crate::db::outbox::Counts>,
    pub webhooks: Option<crate::db::outbox::Counts>,
    pub ssf: Option<crate::db::outbox::Counts>,
}

/// The gauges of one delivery outbox, read from the database at a scrape.
#[derive(Default)]
struct QueueGauges {
    pending: Gauge,
    retrying: Gauge,
    dead: Gauge,
}

impl QueueGauges {
    /// Registers `{prefix}_pending`, `{prefix}_retrying` and `{prefix}_dead`;
    /// `what` names the rows ("Mails", "Webhook deliveries", …).
    fn register(registry: &mut Registry, prefix: &str, what: &str, dead_means: &str) -> Self {
        let gauges = Self::default();
        registry.register(
            format!("{prefix}_pending"),
            format!("{what} waiting (first attempt or a retry)"),
            gauges.pending.clone(),
        );
        registry.register(
            format!("{prefix}_retrying"),
            format!("{what} waiting after at least one failed attempt (part of pending)"),
            gauges.retrying.clone(),
        );
        registry.register(
            format!("{prefix}_dead"),
            format!("{what} {dead_means}"),
            gauges.dead.clone(),
        );
        gauges
    }

    /// -1 in every gauge when the database could not be read.
    fn set(&self, counts: Option<&crate::db::outbox::Counts>) {
        let (pending, retrying, dead) =
            counts.map_or((-1, -1, -1), |c| (c.pending, c.retrying, c.dead));
        self.pending.set(pending);
        self.retrying.set(retrying);
        self.dead.set(dead);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("authd");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let logins = Family::<OutcomeLabels, Counter>::default();
        let mfa_challenges = Family::<OutcomeLabels, Counter>::default();
        let tokens_issued = Family::<KindLabels, Counter>::default();
        let refresh_reuse = Counter::default();
        let rate_limited = Family::<KindLabels, Counter>::default();
        let pool = Family::<StateLabels, Gauge>::default();
        let webhook_queue = QueueGauges::register(
            &mut registry,
            "webhooks",
            "Webhook deliveries",
            "that used all their attempts",
        );
        let webhooks_delivered = Counter::default();
        let ssf_queue = QueueGauges::register(
            &mut registry,
            "ssf_pushes",
            "Shared Signals pushes",
            "refused for good or out of attempts",
        );
        let ssf_delivered = Counter::default();
        registry.register(
            "webhooks_delivered",
            "Webhook deliveries the receiver accepted (this instance)",
            webhooks_delivered.clone(),
        );
        registry.register(
            "ssf_pushes_delivered",
            "Shared Signals pushes a receiver accepted (this instance)",
            ssf_delivered.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            latency.clone(),
        );
        registry.register("logins", "Login attempts by outcome", logins.clone());
        registry.register(
            "mfa_challenges",
            "Second steps of logins (POST /v1/auth/mfa/verify) by outcome",
            mfa_challenges.clone(),
        );
        registry.register(
            "tokens_issued",
            "Tokens issued by kind",
            tokens_issued.clone(),
        );
        registry.register(
            "refresh_reuse_detected",
            "Spent refresh tokens presented again (sessions revoked)",
            refresh_reuse.clone(),
        );
        registry.register(
            "rate_limit_hits",
            "Requests refused by a rate limit, by bucket",
            rate_limited.clone(),
        );
        let mail_queue = QueueGauges::register(
            &mut registry,
            "mail_outbox",
            "Mails",
            "that used all their delivery attempts",
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by state",
            pool.clone(),
        );
        registry.register_collector(Box::new(LogLinesDropped));
        Self {
            registry,
            requests,
            latency,
            logins,
            mfa_challenges,
            tokens_issued,
            refresh_reuse,
            rate_limited,
            mail_queue,
            pool,
            webhook_queue,
            webhooks_delivered,
            ssf_queue,
            ssf_delivered,
        }
    }

    /// Takes the route by value: the families copy it only for a new label
    /// set, so a request allocates nothing here.
    pub fn observe_request(&self, method: &str, route: String, status: u16, seconds: f64) {
        let method = method_label(method);
        let labels = RequestLabels {
            method,
            route,
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: labels.route,
            })
            .observe(seconds);
    }

    /// `outcome` is `success` or an error code.
    pub fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// `outcome` is `success` or an error code.
    pub fn mfa_verify(&self, outcome: &'static str) {
        self.mfa_challenges
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    pub fn token_pair_issued(&self) {
        self.tokens_issued
            .get_or_create(&KindLabels { kind: "access" })
            .inc();
        self.tokens_issued
            .get_or_create(&KindLabels { kind: "refresh" })
            .inc();
    }

    pub fn refresh_reuse_detected(&self) {
        self.refresh_reuse.inc();
    }

    /// `bucket` is one of the fixed limit names (login, register, …).
    pub fn rate_limit_hit(&self, bucket: &'static str) {
        self.rate_limited
            .get_or_create(&KindLabels { kind: bucket })
            .inc();
    }

    pub fn webhook_delivered(&self) {
        self.webhooks_delivered.inc();
    }

    pub fn ssf_push_delivered(&self) {
        self.ssf_delivered.inc();
    }

    /// Sets the gauges of the three outboxes (None: unreadable, -1).
    pub fn set_queues(&self, queues: &Queues) {
        self.mail_queue.set(queues.mail.as_ref());
        self.webhook_queue.set(queues.webhooks.as_ref());
        self.ssf_queue.set(queues.ssf.as_ref());
    }

    /// Every registered metric, in registration order, read back from the
    /// text exposition (`_total` added to counters, as scrapers see them).
    pub fn describe() -> Vec<Described> {
        let metrics = Self::new();
        // A family without a sample is not in the exposition: give each one.
        metrics.observe_request("GET", "/".to_owned(), 200, 0.0);
        metrics.login("success");
        metrics.mfa_verify("success");
        metrics.token_pair_issued();
        metrics.rate_limit_hit("login");
        metrics
            .pool
            .get_or_create(&StateLabels { state: "idle" })
            .set(0);
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &metrics.registry).is_err() {
            return Vec::new();
        }
        let mut out: Vec<Described> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
                let short = name.strip_prefix("authd_").unwrap_or(name);
                out.push(Described {
                    name: name.to_owned(),
                    kind: String::new(),
                    help: help.trim_end_matches('.').to_owned(),
                    labels: LABELS
                        .iter()
                        .find(|(n, _)| *n == short)
                        .map_or("?", |(_, l)| l),
                });
            } else if let Some(rest) = line.strip_prefix("# TYPE ")
                && let Some(last) = out.last_mut()
            {
                let kind = rest.rsplit(' ').next().unwrap_or("");
                if kind == "counter" {
                    last.name.push_str("_total");
                }
                last.kind = kind.to_owned();
            }
        }
        out
    }

    /// Renders the text exposition, with the point-in-time gauges set first.
    pub fn render(&self, pool: r2d2::State) -> String {
        let idle = i64::from(pool.idle_connections);
        self.pool
            .get_or_create(&StateLabels { state: "idle" })
            .set(idle);
        self.pool
            .get_or_create(&StateLabels { state: "in_use" })
            .set(i64::from(pool.connections) - idle);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
