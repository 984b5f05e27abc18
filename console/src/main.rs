//! `zokio-console`: see the library's documentation, and `zokio-console --help`.

fn main() -> std::process::ExitCode {
    zokio_console::cli::main()
}
