//! credtop keeps an AI agent's credentials alive: a store, an OAuth client,
//! a proactive refresh engine, a dashboard and a CLI over one engine.

pub mod audit;
pub mod cli;
pub mod discover;
pub mod engine;
pub mod logging;
pub mod mcp;
pub mod memory;
pub mod model;
pub mod oauth;
#[cfg(test)]
mod proptest_config;
pub mod store;
pub mod tui;
