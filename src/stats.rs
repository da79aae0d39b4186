//! Statistics over metric counts: seeded bootstrap intervals, paired tests
//! between prompt variants, multiple-comparison correction and verdicts.
