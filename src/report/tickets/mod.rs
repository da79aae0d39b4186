//! The tickets behind the numbers, for `verdict report RUN --tickets ...`: which ones
//! ([`select`], pure) and how they are drawn ([`render`]).

pub mod render;
pub mod select;

pub use select::{select, Query, Selection, Source, TicketList};
