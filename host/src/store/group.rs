//! Group commit: callers that write at the same time share one durable transaction.
//!
//! Each caller queues its work and waits. Whoever finds no transaction running becomes the
//! leader: it takes everything queued so far, runs it as one batch, hands every caller its own
//! result and wakes them. Work queued meanwhile waits for the next batch, so under load each
//! fsync carries many writes, and a lone writer pays no extra delay. Every caller still returns
//! only after the transaction holding its work is durable.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::StoreError;

#[derive(Debug)]
pub(super) struct GroupCommit<W, R> {
    state: Mutex<State<W, R>>,
    turn: Condvar,
}

#[derive(Debug)]
struct State<W, R> {
    next_ticket: u64,
    queued: Vec<(u64, W)>,
    results: HashMap<u64, Result<R, StoreError>>,
    leading: bool,
}

impl<W, R> Default for GroupCommit<W, R> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                next_ticket: 0,
                queued: Vec::new(),
                results: HashMap::new(),
                leading: false,
            }),
            turn: Condvar::new(),
        }
    }
}

impl<W, R> GroupCommit<W, R> {
    /// Runs `work` in a batch and returns its result. `run` gets the whole batch and must return
    /// one result per item, in order.
    pub fn submit(
        &self,
        work: W,
        run: impl Fn(Vec<W>) -> Vec<Result<R, StoreError>>,
    ) -> Result<R, StoreError> {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queued.push((ticket, work));
        loop {
            if let Some(result) = state.results.remove(&ticket) {
                return result;
            }
            if state.leading {
                state = self
                    .turn
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.leading = true;
            let (tickets, batch): (Vec<u64>, Vec<W>) =
                std::mem::take(&mut state.queued).into_iter().unzip();
            drop(state);
            let mut lead = Lead {
                group: self,
                tickets,
                results: Vec::new(),
            };
            lead.results = run(batch);
            drop(lead);
            state = self.lock();
        }
    }

    /// The lock guards plain data that stays consistent if a holder panicked.
    fn lock(&self) -> MutexGuard<'_, State<W, R>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A leader's turn. Dropping it (also when `run` panics) publishes the results and lets the
/// next leader go; an item without a result gets an error rather than waiting forever.
struct Lead<'a, W, R> {
    group: &'a GroupCommit<W, R>,
    tickets: Vec<u64>,
    results: Vec<Result<R, StoreError>>,
}

impl<W, R> Drop for Lead<'_, W, R> {
    fn drop(&mut self) {
        let mut results = std::mem::take(&mut self.results).into_iter();
        let mut state = self.group.lock();
        for ticket in self.tickets.drain(..) {
            let result = results.next().unwrap_or_else(|| {
                Err(StoreError::Backend(
                    "the batched write was interrupted".into(),
                ))
            });
            state.results.insert(ticket, result);
        }
        state.leading = false;
        drop(state);
        self.group.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn concurrent_writers_share_batches_and_get_their_own_results() {
        let group = Arc::new(GroupCommit::<u64, u64>::default());
        let batches = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16u64)
            .map(|t| {
                let (group, batches) = (group.clone(), batches.clone());
                std::thread::spawn(move || {
                    (0..50u64)
                        .map(|i| {
                            let work = t * 1000 + i;
                            group.submit(work, |batch| {
                                batches.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                batch.into_iter().map(|w| Ok(w * 2)).collect()
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for (t, thread) in threads.into_iter().enumerate() {
            let results = thread.join().unwrap();
            for (i, result) in results.into_iter().enumerate() {
                assert_eq!(result.unwrap(), (t as u64 * 1000 + i as u64) * 2);
            }
        }
        let batches = batches.load(Ordering::Relaxed);
        assert!(batches < 800, "16 × 50 writes took {batches} batches");
    }

    #[test]
    fn a_short_batch_result_is_an_error_not_a_hang() {
        let group = GroupCommit::<u8, u8>::default();
        let result = group.submit(1, |_| Vec::new());
        assert!(matches!(result, Err(StoreError::Backend(_))));
        assert_eq!(
            group
                .submit(2, |b| b.into_iter().map(Ok).collect())
                .unwrap(),
            2
        );
    }
}
