//! The `corelane` binary: everything is in the library ([`corelane::main`]).

fn main() -> std::process::ExitCode {
    corelane::main()
}
