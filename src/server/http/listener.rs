//! Accepting connections, with the limits axum's own `serve` cannot set: a deadline for a client
//! to send its request headers (a slow client is disconnected instead of holding a connection),
//! a cap on the connections served at once (more wait in the kernel's queue), and a cap per
//! client address (IPv6: per /64), so one host cannot hold every slot; the trusted proxies are
//! exempt, since every client behind them shares their address. Accepted sockets get
//! `TCP_NODELAY`; shutdown is graceful.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use crate::server::rate_limits::limit_key;

/// The listener's limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections one client address may hold at once.
    pub max_connections_per_client: usize,
    /// Peers the per-client cap does not apply to (the trusted proxies).
    pub exempt: Vec<IpNet>,
    /// Time a client has to send a request's headers.
    pub header_read_timeout: Duration,
}

/// How many connections each client address holds now.
#[derive(Default)]
struct PerClient(Mutex<HashMap<IpAddr, usize>>);

/// One client's hold on a connection; gives it back when dropped.
struct Held {
    clients: Arc<PerClient>,
    client: IpAddr,
}

impl PerClient {
    /// Takes one of `client`'s connections, unless it holds `cap` already.
    fn take(self: &Arc<Self>, client: IpAddr, cap: usize) -> Option<Held> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(client).or_default();
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Held {
            clients: Arc::clone(self),
            client,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut counts = self
            .clients
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

/// How long a shutdown waits for requests in flight (less than the unit's `TimeoutStopSec`).
pub const DRAIN: Duration = Duration::from_secs(20);

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let clients = Arc::new(PerClient::default());
    let (stopping, stop_signal) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let peer_ip = peer.ip().to_canonical();
        let held = if limits.exempt.iter().any(|net| net.contains(&peer_ip)) {
            None
        } else {
            match clients.take(limit_key(peer_ip), limits.max_connections_per_client.max(1)) {
                Some(held) => Some(held),
                None => {
                    // Closed at once: the slot goes back to everyone else.
                    tracing::warn!("a client is over its connection cap; closed a connection");
                    continue;
                }
            }
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request)
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stop_signal = stop_signal.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = stop_signal.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%error, "connection closed with an error");
            }
            drop(held);
            drop(slot);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a slot until it ends: having them all back means all are done. A
    // drain ends within DRAIN, before systemd's stop timeout (30 s in the shipped unit) would
    // kill the process with requests half done.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = DRAIN.as_secs(),
            "stopping with requests still in flight after the drain"
        );
    }
    Ok(())
}
