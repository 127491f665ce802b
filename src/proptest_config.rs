//! The shared settings of the property tests (`fuzz_*` unit tests): a
//! short run in `cargo test`, as many cases as `PROPTEST_CASES` asks for
//! in `benches/fuzz_parsers.sh`.

use proptest::test_runner::{Config, FileFailurePersistence};

/// Cases per property when `PROPTEST_CASES` is unset.
const SHORT_RUN: u32 = 64;

pub fn config() -> Config {
    let mut config = Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = SHORT_RUN;
    }
    config
}
