//! The read model below both UIs: what `credtop status`, `check`, `token`
//! and the dashboard show about a credential (its row, its expiry in
//! words, the command that logs in again), computed in one place so the
//! two faces of credtop cannot disagree.

mod rows;
mod text;

pub use rows::{
    ErrorRow, Found, StatusRow, StoreRows, all_rows, all_rows_and_errors, collect_rows,
    discovered_rows, read_store, store_row,
};
pub use text::{fit, human_duration, relogin_command, time_left};

#[cfg(test)]
mod tests;
