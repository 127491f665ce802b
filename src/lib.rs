//! credtop keeps an AI agent's credentials alive: a store, an OAuth client,
//! a proactive refresh engine, a dashboard and a CLI over one engine.

// A panic in the engine or the dashboard is an outage for the agent that
// waits on a token: outside tests, a missing value is handled or said.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod audit;
pub mod cli;
pub mod demo;
pub mod discover;
pub mod engine;
pub mod logging;
pub mod mcp;
pub mod memory;
pub mod model;
pub mod oauth;
#[cfg(test)]
mod proptest_config;
pub mod report;
pub mod store;
pub mod tui;

#[cfg(test)]
mod layers;
