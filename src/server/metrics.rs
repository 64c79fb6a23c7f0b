//! Prometheus metrics, served on their own address (`METRICS_LISTEN`) so the public listener
//! never shows them. The series:
//!
//! - `practice_connect_http_requests_total{method,route,status}` and `practice_connect_http_request_duration_seconds{route}`;
//! - `practice_connect_exchanges_total{outcome}`: `connected`, or the problem (`code_rejected`, …);
//! - `practice_connect_hint_requests_total{endpoint,status}` and `practice_connect_hint_request_duration_seconds{endpoint}`;
//! - `practice_connect_webhooks_total{result}`: `applied`, `duplicate`, `ignored`, `bad_signature`, `stale`, …;
//! - `practice_connect_key_check_lag_seconds`: how long ago the stalest connected key was last proven;
//! - `practice_connect_event_deliveries_total{outcome}` (`delivered`, `retrying`, `gave_up`) and
//!   `practice_connect_event_outbox_depth`: connection events not yet delivered, all endpoints together;
//! - `practice_connect_last_success_timestamp_seconds{job}`: when the key check and the
//!   housekeeping last finished a round without an error;
//! - read at each scrape (`http::metrics`): `practice_connect_connections{status}`,
//!   `practice_connect_mail_queue_depth` and `practice_connect_mail_queue_oldest_age_seconds`,
//!   `practice_connect_process_resident_memory_bytes`, `practice_connect_process_open_fds`,
//!   `practice_connect_process_cpu_seconds_total`;
//! - `practice_connect_build_info{version}`: always 1;
//! - `practice_connect_password_hashes_in_flight` and `practice_connect_database_connections{state}`: queue depths, read when
//!   scraped.
//!
//! Every label comes from a closed set: the method is one of seven words or `other`, the route
//! is the router's template (or `unmatched`), the rest are words the code chose. A client can
//! therefore not add series (each one is kept for good), whatever it sends.
//!
//! The recorder is installed only when metrics are served (`METRICS_LISTEN`), and then its
//! histograms are drained on a timer as well as at each scrape; without it every `counter!`
//! and `histogram!` is a no-op and keeps nothing. Once per process; every app in it (tests
//! start many) shares it. A leaf: it imports nothing of the app; `http::metrics` serves what it
//! records.

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds, from a cached page to a slow Hint.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; these metrics stay empty");
        }
        describe();
        metrics::gauge!("practice_connect_build_info", "version" => env!("CARGO_PKG_VERSION"))
            .set(1.0);
        handle
    })
}

/// Each series' help text (Prometheus's `# HELP`).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!("practice_connect_http_requests_total", "Answers given, by method, route template and status (every answer, the limits' and the origin rule's included).");
    describe_histogram!(
        "practice_connect_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer, by route template."
    );
    describe_counter!(
        "practice_connect_exchanges_total",
        "Code exchanges with Hint that ended, by outcome."
    );
    describe_counter!(
        "practice_connect_hint_requests_total",
        "Calls to Hint's API, by endpoint and status."
    );
    describe_histogram!(
        "practice_connect_hint_request_duration_seconds",
        Unit::Seconds,
        "Time Hint took to answer, by endpoint."
    );
    describe_counter!(
        "practice_connect_webhooks_total",
        "Hint webhooks received, by result."
    );
    describe_counter!(
        "practice_connect_mails_total",
        "Outgoing email attempts, by result."
    );
    describe_counter!(
        "practice_connect_event_deliveries_total",
        "Connection event delivery attempts, by outcome."
    );
    describe_gauge!(
        "practice_connect_event_outbox_depth",
        "Connection event deliveries waiting, all endpoints."
    );
    describe_gauge!(
        "practice_connect_key_check_lag_seconds",
        Unit::Seconds,
        "How long the stalest connected key has waited for its check."
    );
    describe_gauge!(
        "practice_connect_last_success_timestamp_seconds",
        Unit::Seconds,
        "When a background job last finished a round without an error (unix time), by job."
    );
    describe_gauge!(
        "practice_connect_connections",
        "Connections stored, by status."
    );
    describe_gauge!(
        "practice_connect_mail_queue_depth",
        "Emails waiting to be sent."
    );
    describe_gauge!(
        "practice_connect_mail_queue_oldest_age_seconds",
        Unit::Seconds,
        "Age of the oldest email waiting (0 when none)."
    );
    describe_gauge!(
        "practice_connect_password_hashes_in_flight",
        "Password hashes queued or running."
    );
    describe_gauge!(
        "practice_connect_database_connections",
        "Database pool connections, by state."
    );
    describe_gauge!(
        "practice_connect_process_resident_memory_bytes",
        Unit::Bytes,
        "Resident memory of the process."
    );
    describe_gauge!(
        "practice_connect_process_open_fds",
        "Open file descriptors of the process."
    );
    describe_counter!(
        "practice_connect_process_cpu_seconds_total",
        Unit::Seconds,
        "CPU time the process used (user and system)."
    );
    describe_gauge!(
        "practice_connect_build_info",
        "The running version (always 1)."
    );
}

/// A background job finished a round without an error: `job` is `key_check` or `housekeeping`.
pub fn job_succeeded(job: &'static str, at: i64) {
    metrics::gauge!("practice_connect_last_success_timestamp_seconds", "job" => job).set(at as f64);
}

/// How often the recorder drains its histograms when nobody scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Drains the histograms every [`UPKEEP_EVERY`] for as long as metrics are served (the exporter
/// only does it at a scrape otherwise, and samples pile up between scrapes).
pub async fn run_upkeep() {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    loop {
        every.tick().await;
        handle().run_upkeep();
    }
}

/// The method as a label or a log field: one of the seven methods the app answers, else
/// `other`. hyper accepts any token as a method; copying it would let a client make series
/// (and log lines) of any size.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware (after routing, so the route template is known): counts and times each request.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = method_label(request.method());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("practice_connect_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("practice_connect_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// One exchange's end: `connected` or the problem's word.
pub fn exchange_finished(outcome: &'static str) {
    metrics::counter!("practice_connect_exchanges_total", "outcome" => outcome).increment(1);
}

/// One call to Hint: the endpoint's template, the status (or `error`), how long it took.
pub fn hint_call(endpoint: &'static str, status: String, took: Duration) {
    metrics::counter!("practice_connect_hint_requests_total", "endpoint" => endpoint, "status" => status)
        .increment(1);
    metrics::histogram!("practice_connect_hint_request_duration_seconds", "endpoint" => endpoint)
        .record(took.as_secs_f64());
}

/// One webhook's result.
pub fn webhook(result: &'static str) {
    metrics::counter!("practice_connect_webhooks_total", "result" => result).increment(1);
}

/// One outgoing email's fate: `sent`, `queued` (will retry) or `failed` (given up).
pub fn mail(result: &'static str) {
    metrics::counter!("practice_connect_mails_total", "result" => result).increment(1);
}

/// One attempt to deliver a connection event: `delivered`, `retrying` or `gave_up`.
pub fn event_delivery(outcome: &'static str) {
    metrics::counter!("practice_connect_event_deliveries_total", "outcome" => outcome).increment(1);
}

/// How many event deliveries wait, after a round of the event worker.
pub fn event_outbox_depth(pending: i64) {
    metrics::gauge!("practice_connect_event_outbox_depth").set(pending.max(0) as f64);
}

/// The key-health job's lag after a round.
pub fn key_check_lag(seconds: i64) {
    metrics::gauge!("practice_connect_key_check_lag_seconds").set(seconds.max(0) as f64);
}
