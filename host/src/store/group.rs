//! Group commit: callers that write at the same time share one durable transaction.
//!
//! Each caller queues its work and waits. Whoever finds no transaction running becomes the
//! leader: it takes everything queued so far, runs it as one batch, hands every caller its own
//! result and wakes them. Work queued meanwhile waits for the next batch, so under load each
//! fsync carries many writes, and a lone writer pays no extra delay. Every caller still returns
//! only after the transaction holding its work is durable.
//!
//! Urgent work (what a reply waits for) goes first: when some is queued, the leader takes only
//! it, and the bulk work (delivery outcomes, a flood's commits) waits for the next batch, never
//! longer, so it cannot starve.

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
    /// The last batch left bulk work queued for urgent work: the next one takes everything.
    bulk_waited: bool,
}

impl<W, R> Default for GroupCommit<W, R> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                next_ticket: 0,
                queued: Vec::new(),
                results: HashMap::new(),
                leading: false,
                bulk_waited: false,
            }),
            turn: Condvar::new(),
        }
    }
}

impl<W, R> GroupCommit<W, R> {
    /// Runs `work` in a batch and returns its result. `run` gets the whole batch and must return
    /// one result per item, in order; `urgent` tells the work a reply waits for.
    pub fn submit(
        &self,
        work: W,
        urgent: impl Fn(&W) -> bool,
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
            let (tickets, batch) = state.next_batch(&urgent);
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

impl<W, R> State<W, R> {
    /// Takes the next batch off the queue: only the urgent work if some is queued, unless the
    /// last batch already left the bulk waiting.
    fn next_batch(&mut self, urgent: impl Fn(&W) -> bool) -> (Vec<u64>, Vec<W>) {
        let queued = std::mem::take(&mut self.queued);
        let some_urgent = queued.iter().any(|(_, w)| urgent(w));
        let (now, later): (Vec<_>, Vec<_>) = if some_urgent && !self.bulk_waited {
            queued.into_iter().partition(|(_, w)| urgent(w))
        } else {
            (queued, Vec::new())
        };
        self.bulk_waited = !later.is_empty();
        self.queued = later;
        now.into_iter().unzip()
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
    use std::time::Duration;

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
                            group.submit(
                                work,
                                |_| false,
                                |batch| {
                                    batches.fetch_add(1, Ordering::Relaxed);
                                    std::thread::sleep(std::time::Duration::from_micros(200));
                                    batch.into_iter().map(|w| Ok(w * 2)).collect()
                                },
                            )
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

    /// While a batch runs, bulk work (odd numbers here) and urgent work queue up: the next
    /// batch takes only the urgent work, the one after it the bulk.
    #[test]
    fn urgent_work_goes_first_and_bulk_waits_one_batch() {
        let group = Arc::new(GroupCommit::<u64, u64>::default());
        let batches = Arc::new(std::sync::Mutex::new(Vec::new()));
        let submit = |work: u64, hold: Duration| {
            let (group, batches) = (group.clone(), batches.clone());
            std::thread::spawn(move || {
                let urgent = |w: &u64| w.is_multiple_of(2);
                group.submit(work, urgent, |batch| {
                    batches.lock().unwrap().push(batch.clone());
                    std::thread::sleep(hold);
                    batch.into_iter().map(Ok).collect()
                })
            })
        };
        let first = submit(0, Duration::from_millis(300));
        std::thread::sleep(Duration::from_millis(50)); // `first` leads
        let rest = [1, 3, 2].map(|w| submit(w, Duration::ZERO));
        for thread in std::iter::once(first).chain(rest) {
            thread.join().unwrap().unwrap();
        }
        let mut batches = batches.lock().unwrap().clone();
        batches.iter_mut().for_each(|b| b.sort_unstable());
        assert_eq!(batches, vec![vec![0], vec![2], vec![1, 3]]);
    }

    #[test]
    fn a_short_batch_result_is_an_error_not_a_hang() {
        let group = GroupCommit::<u8, u8>::default();
        let result = group.submit(1, |_| false, |_| Vec::new());
        assert!(matches!(result, Err(StoreError::Backend(_))));
        assert_eq!(
            group
                .submit(2, |_| false, |b| b.into_iter().map(Ok).collect())
                .unwrap(),
            2
        );
    }
}
