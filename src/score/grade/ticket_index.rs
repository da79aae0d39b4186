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
    table: hashbrown::HashTable<(u64, u32)>,
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
        use std::hash::BuildHasher;
        let n = ends.len();
        let mut ix = TicketIndex {
            ids,
            ends,
            table: hashbrown::HashTable::with_capacity(n),
            hasher: hashbrown::DefaultHashBuilder::default(),
            last: std::sync::atomic::AtomicU32::new(u32::MAX),
            unique: true,
        };
        for i in 0..n as u32 {
            let (ids, ends) = (&ix.ids, &ix.ends);
            let id = id_at(ids, ends, i);
            let hash = ix.hasher.hash_one(id);
            // Ids are unique in a loaded gold set; were one repeated, the last would win, as
            // in a map collected in order.
            match ix
                .table
                .find_mut(hash, |&(h, j)| h == hash && id_at(ids, ends, j) == id)
            {
                Some(entry) => {
                    entry.1 = i;
                    ix.unique = false;
                }
                None => {
                    ix.table.insert_unique(hash, (hash, i), |&(h, _)| h);
                }
            }
        }
        ix
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
            for i in [last_found.wrapping_add(1), last_found] {
                if (i as usize) < self.ends.len() && id_at(&self.ids, &self.ends, i) == id {
                    *last = i;
                    return Some(i);
                }
            }
        }
        let hash = self.hasher.hash_one(id);
        let found = self
            .table
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
