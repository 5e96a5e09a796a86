//! `corelane-mock`: the deterministic mock provider used by integration tests and load runs.

use clap::Parser;
use corelane_harness::{run, MockOptions};
use std::io::Write;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let options = MockOptions::parse();
    // Tests and the load harness stop the mock with SIGTERM or SIGINT; that is a clean end.
    if let Err(error) = ctrlc::set_handler(|| std::process::exit(0)) {
        eprintln!("corelane-mock: cannot install signal handler: {error}");
    }
    let result = run(options, |address| {
        // Tests read the port from this exact first line, so flush it at once.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on {address}");
        let _ = stdout.flush();
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("corelane-mock: {error}");
            ExitCode::FAILURE
        }
    }
}
