//! Ticket id -> index for the grader: one buffer of ids and a table of their hashes, with a
//! fast path for records that come in ticket order.

/// Ticket id -> index, for millions of lookups: the ids are copied into one buffer (a few
/// MB, where each ticket's own id is a separate allocation among its text and labels), and
/// the table keeps each id's hash, so a lookup reads the buffer once, near the last one when
/// records come in ticket order.
pub(super) struct TicketIndex {
    ids: String,
    /// Where id i ends in `ids` (it starts where id i - 1 ends).
    ends: Vec<usize>,
    /// Each id's (hash, index); made at the first lookup that needs it when the ids are
    /// known to be unique ([`TicketIndex::from_unique_ids`]): records in ticket order never
    /// do.
    table: std::sync::OnceLock<hashbrown::HashTable<(u64, u32)>>,
    hasher: hashbrown::DefaultHashBuilder,
    /// The index last found (u32::MAX before the first); atomic so that the index can be
    /// shared by threads, which keep their own (see [`TicketIndex::get_after`]).
    last: std::sync::atomic::AtomicU32,
    /// No id is repeated.
    unique: bool,
}

impl TicketIndex {
    pub(super) fn new(tickets: &[crate::gold::Ticket]) -> Self {
        let mut ids = String::with_capacity(tickets.iter().map(|t| t.id.len()).sum());
        let mut ends = Vec::with_capacity(tickets.len());
        for t in tickets {
            ids.push_str(&t.id);
            ends.push(ids.len());
        }
        TicketIndex::from_ids(ids, ends)
    }

    /// The index of the ids in `ids`, id i ending at `ends[i]` (and starting where id i - 1
    /// ends).
    pub(super) fn from_ids(ids: String, ends: Vec<usize>) -> Self {
        let mut ix = TicketIndex::from_unique_ids(ids, ends);
        let (table, unique) = ix.make_table();
        ix.unique = unique;
        ix.table = table.into();
        ix
    }

    /// [`TicketIndex::from_ids`] of ids the caller knows to be unique (the one-pass gold
    /// loader gives a file with a repeated id up), without hashing them: the table is made at
    /// the first lookup that misses the ticket-order guess, which records in ticket order
    /// never do (about 0.13 s of one core at 1,000,000 tickets, before any record could be
    /// read).
    pub(super) fn from_unique_ids(ids: String, ends: Vec<usize>) -> Self {
        TicketIndex {
            ids,
            ends,
            table: std::sync::OnceLock::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            last: std::sync::atomic::AtomicU32::new(u32::MAX),
            unique: true,
        }
    }

    /// Each id's (hash, index), and whether no id is repeated (a repeated id maps to its
    /// last index, as in a map collected in order).
    fn make_table(&self) -> (hashbrown::HashTable<(u64, u32)>, bool) {
        use std::hash::BuildHasher;
        let (ids, ends) = (&self.ids, &self.ends);
        let mut table = hashbrown::HashTable::with_capacity(ends.len());
        let mut unique = true;
        for i in 0..ends.len() as u32 {
            let id = id_at(ids, ends, i);
            let hash = self.hasher.hash_one(id);
            match table.find_mut(hash, |&(h, j)| h == hash && id_at(ids, ends, j) == id) {
                Some(entry) => {
                    entry.1 = i;
                    unique = false;
                }
                None => {
                    table.insert_unique(hash, (hash, i), |&(h, _)| h);
                }
            }
        }
        (table, unique)
    }

    pub(super) fn get(&self, id: &str) -> Option<u32> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut last = self.last.load(Relaxed);
        let found = self.get_after(id, &mut last);
        self.last.store(last, Relaxed);
        found
    }

    /// [`TicketIndex::get`] with the caller's own "last found" (`u32::MAX` at first), for
    /// lookups from several threads at once.
    pub(super) fn get_after(&self, id: &str, last: &mut u32) -> Option<u32> {
        use std::hash::BuildHasher;
        // Records mostly come in ticket order (a run's journal, an export): try the ticket
        // after the last one found, and the same one again, before hashing.
        // (Only when ids are unique: a repeated id maps to its last index.)
        if self.unique {
            let last_found = *last;
            // After the last ticket, the first (the next variant's records).
            let next = match last_found.wrapping_add(1) {
                n if n as usize == self.ends.len() => 0,
                n => n,
            };
            for i in [next, last_found] {
                if (i as usize) < self.ends.len() && id_at(&self.ids, &self.ends, i) == id {
                    *last = i;
                    return Some(i);
                }
            }
        }
        let hash = self.hasher.hash_one(id);
        let found = self
            .table
            .get_or_init(|| self.make_table().0)
            .find(hash, |&(h, i)| {
                h == hash && id_at(&self.ids, &self.ends, i) == id
            })
            .map(|&(_, i)| i);
        if let Some(i) = found {
            *last = i;
        }
        found
    }
}

impl TicketIndex {
    /// The ids, in order.
    pub(super) fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.ends.len() as u32).map(|i| id_at(&self.ids, &self.ends, i))
    }
}

fn id_at<'a>(ids: &'a str, ends: &[usize], i: u32) -> &'a str {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &ids[start..ends[i]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(ids: &[&str]) -> (String, Vec<usize>) {
        let mut all = String::new();
        let mut ends = Vec::new();
        for id in ids {
            all.push_str(id);
            ends.push(all.len());
        }
        (all, ends)
    }

    /// Unique ids looked up in and out of order, and ids that are not there, find the same
    /// index whether the table is made at once or at the first miss.
    #[test]
    fn a_table_made_at_the_first_miss_finds_what_one_made_at_once_finds() {
        let ids: Vec<String> = (0..1000).map(|i| format!("T{i:04}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let (all, ends) = parts(&ids);
        let eager = TicketIndex::from_ids(all.clone(), ends.clone());
        let lazy = TicketIndex::from_unique_ids(all, ends);
        // In ticket order: the guess finds every one, no table is made.
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(lazy.get(id), Some(i as u32));
        }
        // Then the next variant's records, from the first ticket again.
        for (i, id) in ids.iter().enumerate().take(10) {
            assert_eq!(lazy.get(id), Some(i as u32));
        }
        assert!(
            lazy.table.get().is_none(),
            "in-order lookups made the table"
        );
        // Out of order, and missing ids (also next to a last-found one).
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.reverse();
        order.rotate_left(333);
        for &i in &order {
            assert_eq!(lazy.get(ids[i]), eager.get(ids[i]));
            assert_eq!(lazy.get(ids[i]), Some(i as u32));
            assert_eq!(lazy.get("T99999"), None);
            assert_eq!(eager.get("T99999"), None);
        }
        assert!(lazy.table.get().is_some());
        // From several threads at once, each with its own last-found index.
        std::thread::scope(|s| {
            for t in 0..4 {
                let (lazy, ids) = (&lazy, &ids);
                s.spawn(move || {
                    let mut last = u32::MAX;
                    for i in (t..ids.len()).step_by(3) {
                        assert_eq!(lazy.get_after(ids[i], &mut last), Some(i as u32));
                    }
                });
            }
        });
    }

    /// A repeated id (only `from_ids` takes one) maps to its last index.
    #[test]
    fn a_repeated_id_is_its_last_index() {
        let (all, ends) = parts(&["a", "b", "a", "c"]);
        let ix = TicketIndex::from_ids(all, ends);
        assert!(!ix.unique);
        assert_eq!(ix.get("a"), Some(2));
        assert_eq!(ix.get("b"), Some(1));
        assert_eq!(ix.get("c"), Some(3));
        assert_eq!(ix.get("d"), None);
    }
}
