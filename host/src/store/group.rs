//! Group commit on a writer thread: writes that arrive while a transaction is being written
//! share the next one.
//!
//! Callers queue their work (a bounded queue: a full one makes them wait) and await their own
//! result; the writer thread takes everything queued, runs it as one batch, and answers each
//! caller. Under load each fsync carries many writes and a lone writer pays no extra delay, and
//! a caller waiting for its fsync holds no thread: however many wait, the store costs one.
//!
//! Urgent work (what a reply waits for) goes first: when some is queued, the writer takes only
//! it, and the bulk work (delivery outcomes, a flood's commits) waits for the next batch, never
//! longer, so it cannot starve.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// Writes that may wait for the writer at once; more make their callers wait to queue.
const QUEUE: usize = 4096;

/// The writer thread's end for callers. Dropping it lets the thread finish what is queued and
/// waits for it to stop (so the store's file is closed when its owner is gone).
#[derive(Debug)]
pub(super) struct GroupCommit<W, R> {
    queue: Option<mpsc::Sender<Job<W, R>>>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Job<W, R> {
    work: W,
    reply: oneshot::Sender<Result<R, StoreError>>,
}

impl<W: Send + 'static, R: Send + 'static> GroupCommit<W, R> {
    /// Starts the writer thread. `run` gets each batch and returns one result per item, in
    /// order; `urgent` tells the work a reply waits for.
    pub fn start(
        name: &str,
        urgent: fn(&W) -> bool,
        run: impl FnMut(Vec<W>) -> Vec<Result<R, StoreError>> + Send + 'static,
    ) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || write_loop(jobs, urgent, run))?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the next batch and returns its result, once its transaction committed.
    pub async fn submit(&self, work: W) -> Result<R, StoreError> {
        let (reply, answer) = oneshot::channel();
        let queue = self.queue.as_ref().ok_or_else(stopped)?;
        queue
            .send(Job { work, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| interrupted())?
    }
}

impl<W, R> Drop for GroupCommit<W, R> {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the store's writer thread failed");
            }
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the store's writer has stopped".into())
}

fn interrupted() -> StoreError {
    StoreError::Backend("the batched write was interrupted".into())
}

/// The writer thread: batch after batch until every caller's end is gone.
fn write_loop<W, R>(
    mut jobs: mpsc::Receiver<Job<W, R>>,
    urgent: fn(&W) -> bool,
    mut run: impl FnMut(Vec<W>) -> Vec<Result<R, StoreError>>,
) {
    let mut queued: Vec<Job<W, R>> = Vec::new();
    let mut bulk_waited = false;
    loop {
        if queued.is_empty() {
            match jobs.blocking_recv() {
                Some(job) => queued.push(job),
                None => return,
            }
        }
        while let Ok(job) = jobs.try_recv() {
            queued.push(job);
        }
        let batch;
        (batch, queued) = next_batch(queued, urgent, &mut bulk_waited);
        let (work, replies): (Vec<W>, Vec<_>) =
            batch.into_iter().map(|j| (j.work, j.reply)).unzip();
        // A panic fails this batch's callers, not the store.
        let mut results = catch_unwind(AssertUnwindSafe(|| run(work)))
            .unwrap_or_default()
            .into_iter();
        for reply in replies {
            // A short result list (or a panic) is an error for the rest, not a hang.
            let _ = reply.send(results.next().unwrap_or_else(|| Err(interrupted())));
        }
    }
}

/// Splits the queue into the next batch and what waits: only the urgent work if some is
/// queued, unless the last batch already left the bulk waiting.
type Jobs<W, R> = Vec<Job<W, R>>;

fn next_batch<W, R>(
    queued: Jobs<W, R>,
    urgent: fn(&W) -> bool,
    bulk_waited: &mut bool,
) -> (Jobs<W, R>, Jobs<W, R>) {
    let some_urgent = queued.iter().any(|j| urgent(&j.work));
    let (now, later): (Vec<_>, Vec<_>) = if some_urgent && !*bulk_waited {
        queued.into_iter().partition(|j| urgent(&j.work))
    } else {
        (queued, Vec::new())
    };
    *bulk_waited = !later.is_empty();
    (now, later)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn doubling(batches: Arc<AtomicUsize>) -> GroupCommit<u64, u64> {
        GroupCommit::start(
            "test-writer",
            |_| false,
            move |batch: Vec<u64>| {
                batches.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(200));
                batch.into_iter().map(|w| Ok(w * 2)).collect()
            },
        )
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_batches_and_get_their_own_results() {
        let batches = Arc::new(AtomicUsize::new(0));
        let group = Arc::new(doubling(batches.clone()));
        let writers: Vec<_> = (0..100u64)
            .map(|t| {
                let group = group.clone();
                tokio::spawn(async move {
                    let mut results = Vec::new();
                    for i in 0..20u64 {
                        results.push(group.submit(t * 1000 + i).await.unwrap());
                    }
                    results
                })
            })
            .collect();
        for (t, writer) in writers.into_iter().enumerate() {
            let expected: Vec<u64> = (0..20).map(|i| (t as u64 * 1000 + i) * 2).collect();
            assert_eq!(writer.await.unwrap(), expected);
        }
        let batches = batches.load(Ordering::Relaxed);
        assert!(batches < 1000, "100 × 20 writes took {batches} batches");
    }

    #[test]
    fn blocking_callers_are_answered_too() {
        let group = Arc::new(doubling(Arc::default()));
        let threads: Vec<_> = (0..8u64)
            .map(|t| {
                let group = group.clone();
                std::thread::spawn(move || futures::executor::block_on(group.submit(t)).unwrap())
            })
            .collect();
        let results: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(results, (0..8).map(|t| t * 2).collect::<Vec<_>>());
    }

    /// While a batch runs, bulk work (odd numbers here) and urgent work queue up: the next
    /// batch takes only the urgent work, the one after it the bulk.
    #[test]
    fn urgent_work_goes_first_and_bulk_waits_one_batch() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let seen = batches.clone();
        let group = GroupCommit::start(
            "test-writer",
            |w: &u64| w.is_multiple_of(2),
            move |batch: Vec<u64>| {
                seen.lock().unwrap().push(batch.clone());
                if batch == [0] {
                    std::thread::sleep(Duration::from_millis(300));
                }
                batch.into_iter().map(Ok).collect()
            },
        )
        .unwrap();
        let group = Arc::new(group);
        let submit = |work: u64| {
            let group = group.clone();
            std::thread::spawn(move || futures::executor::block_on(group.submit(work)))
        };
        let first = submit(0);
        std::thread::sleep(Duration::from_millis(50)); // `first` is being written
        let rest = [1, 3, 2].map(|w| {
            let thread = submit(w);
            std::thread::sleep(Duration::from_millis(10)); // queued in this order
            thread
        });
        for thread in std::iter::once(first).chain(rest) {
            thread.join().unwrap().unwrap();
        }
        let batches = batches.lock().unwrap().clone();
        assert_eq!(batches, vec![vec![0], vec![2], vec![1, 3]]);
    }

    #[test]
    fn a_short_result_or_a_panic_is_an_error_not_a_hang() {
        let group = GroupCommit::<u8, u8>::start(
            "test-writer",
            |_| false,
            |batch: Vec<u8>| match batch[0] {
                1 => Vec::new(),
                2 => panic!("a bug in the batch"),
                _ => batch.into_iter().map(Ok).collect(),
            },
        )
        .unwrap();
        assert!(matches!(
            futures::executor::block_on(group.submit(1)),
            Err(StoreError::Backend(_))
        ));
        assert!(matches!(
            futures::executor::block_on(group.submit(2)),
            Err(StoreError::Backend(_))
        ));
        assert_eq!(futures::executor::block_on(group.submit(3)).unwrap(), 3);
    }
}
