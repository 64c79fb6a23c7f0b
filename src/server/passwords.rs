//! Password hashing: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), on a small
//! fixed pool of worker threads (one per core) that reuse their 19 MiB of memory from hash to
//! hash (and free it after ten idle seconds), fed by a bounded queue. A burst of logins
//! therefore costs at most `workers × 19 MiB`
//! and never stalls the async workers; when the queue is full the caller is told to come back
//! (`Busy`, answered 429) instead of queueing without end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

/// A valid hash of a password nobody knows, verified when an email has no account so that
/// "no such user" takes as long as "wrong password".
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4PgGV3lVZ5e3eYH0y1s5s4v8s2XbLq1oKc9lqj7v1mI";

/// Hashes waiting for a worker, per worker, before callers are turned away.
const QUEUE_PER_WORKER: usize = 8;

/// How long a worker keeps its 19 MiB after its last hash: a burst reuses the memory, and a quiet
/// server gives it back.
const KEEP_MEMORY_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every worker is busy and the queue is full: try again shortly.
    #[error("password hashing is saturated")]
    Busy,
    /// Hashing failed (never expected with these parameters).
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl From<PasswordError> for crate::domain::AppError {
    /// A saturated pool answers like a rate limit: come back in a moment.
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => Self::RateLimited {
                retry_after_seconds: 1,
            },
            PasswordError::Hashing(cause) => {
                tracing::error!(%cause, "password hashing failed");
                Self::Internal
            }
        }
    }
}

fn params() -> Params {
    // These constants are valid parameters; `Params::new` only fails for out-of-range values.
    Params::new(19 * 1024, 2, 1, None).expect("OWASP Argon2id parameters are valid")
}

enum Job {
    Hash {
        password: String,
        reply: oneshot::Sender<Result<String, PasswordError>>,
    },
    Verify {
        password: String,
        stored: Option<String>,
        reply: oneshot::Sender<bool>,
    },
}

/// The hashing pool. Cheap to share; its workers stop when the last handle is dropped.
#[derive(Debug)]
pub struct Hasher {
    queue: SyncSender<Job>,
    workers: usize,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Hasher {
    /// A pool of one worker per core.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_workers(cores)
    }

    /// A pool of `workers` threads.
    pub fn with_workers(workers: usize) -> Self {
        let workers = workers.max(1);
        let (queue, jobs) = sync_channel(workers * QUEUE_PER_WORKER);
        let jobs = Arc::new(Mutex::new(jobs));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        for index in 0..workers {
            let (jobs, running, peak) = (jobs.clone(), running.clone(), peak.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || work(&jobs, &running, &peak));
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hashing worker");
            }
        }
        Self {
            queue,
            workers,
            running,
            peak,
        }
    }

    /// How many workers the pool has.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many hashes run right now.
    pub fn in_flight(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// The most hashes that ever ran at once in this pool (never more than `workers`).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    fn submit(&self, job: Job) -> Result<(), PasswordError> {
        self.queue.try_send(job).map_err(|error| match error {
            TrySendError::Full(_) => PasswordError::Busy,
            TrySendError::Disconnected(_) => PasswordError::Hashing("no workers".into()),
        })
    }

    /// Hashes `password` into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash { password, reply })?;
        answer
            .await
            .unwrap_or_else(|_| Err(PasswordError::Hashing("worker stopped".into())))
    }

    /// Whether `password` matches `stored`; with `None`, spends the same time and says no.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, PasswordError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password,
            stored,
            reply,
        })?;
        Ok(answer.await.unwrap_or(false))
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

/// A worker: takes jobs until the pool is dropped, reusing one memory buffer from hash to hash
/// and freeing it after `KEEP_MEMORY_IDLE` without work.
fn work(jobs: &Mutex<Receiver<Job>>, running: &AtomicUsize, peak: &AtomicUsize) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match jobs.lock() {
            Ok(jobs) => jobs.recv_timeout(KEEP_MEMORY_IDLE),
            Err(_) => return,
        };
        let job = match job {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                memory = Vec::new();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        match job {
            Job::Hash { password, reply } => {
                let _ = reply.send(hash_with(&mut memory, &password));
            }
            Job::Verify {
                password,
                stored,
                reply,
            } => {
                // No account, or one with no password yet (an invited staff member, a seeded
                // provider): the dummy hash is checked instead, so every "no" costs the same.
                let usable = stored.filter(|hash| PasswordHash::new(hash).is_ok());
                let known = usable.is_some();
                let stored = usable.as_deref().unwrap_or(DUMMY_HASH);
                let matches = verify_with(&mut memory, &password, stored).unwrap_or(false);
                let _ = reply.send(matches && known);
            }
        }
        running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The worker's buffer, sized for `params` (allocated once; resized only for other parameters).
fn blocks_for<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    memory.resize(params.block_count(), Block::default());
    memory.as_mut_slice()
}

fn hash_with(memory: &mut Vec<Block>, password: &str) -> Result<String, PasswordError> {
    let failed = |error: &dyn std::fmt::Display| PasswordError::Hashing(error.to_string());
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| failed(&e))?;
    let blocks = blocks_for(memory, &params);
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), raw_salt, out, &mut *blocks)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

fn verify_with(memory: &mut Vec<Block>, password: &str, stored: &str) -> Option<bool> {
    let parsed = PasswordHash::new(stored).ok()?;
    let expected = parsed.hash?;
    let params = Params::try_from(&parsed).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .ok()?;
    let mut salt_bytes = [0u8; 64];
    let raw_salt = parsed.salt?.decode_b64(&mut salt_bytes).ok()?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let blocks = blocks_for(memory, &params);
    let computed = Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), raw_salt, out, &mut *blocks)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .ok()?;
    // `Output`'s equality runs in constant time.
    Some(computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hasher = Hasher::with_workers(1);
        let stored = hasher.hash("correct-horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher
            .verify("correct-horse".into(), Some(stored.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong-horse".into(), Some(stored))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn hashes_made_by_the_stock_argon2_api_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let stored = argon2
            .hash_password(b"correct-horse", &salt)
            .unwrap()
            .to_string();
        let hasher = Hasher::with_workers(1);
        assert!(hasher
            .verify("correct-horse".into(), Some(stored))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let hasher = Hasher::with_workers(1);
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn a_full_queue_turns_callers_away_and_never_runs_more_than_the_workers() {
        let hasher = Arc::new(Hasher::with_workers(2));
        let tries: Vec<_> = (0..60)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.verify(format!("guess-{i}"), None).await })
            })
            .collect();
        let mut busy = 0;
        for attempt in tries {
            if let Err(PasswordError::Busy) = attempt.await.unwrap() {
                busy += 1;
            }
        }
        assert!(busy > 0, "60 at once overflow 2 workers with a queue of 16");
        assert!(hasher.peak() <= 2, "peak {}", hasher.peak());
        assert!(hasher.peak() >= 1);
    }
}
