//! SIGINT and SIGTERM for the commands that run tasks: the first one asks them to stop, a
//! second one is handled by the caller (usually: stop at once).

use std::future::Future;

/// Watches both signals: `first(code)` at the first one, then `again(code)` at a second, each
/// with the exit status of the signal received (130 or 143). Registered before this returns.
pub fn on_signals<A, F>(
    first: impl FnOnce(i32) + Send + 'static,
    again: A,
) -> std::io::Result<tokio::task::JoinHandle<()>>
where
    A: FnOnce(i32) -> F + Send + 'static,
    F: Future<Output = ()> + Send,
{
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(tokio::spawn(async move {
        let code = |int: bool| {
            if int {
                crate::exit_codes::SIGINT
            } else {
                crate::exit_codes::SIGTERM
            }
        };
        let was_int = tokio::select! {
            _ = int.recv() => true,
            _ = term.recv() => false,
        };
        first(code(was_int));
        let was_int = tokio::select! {
            _ = int.recv() => true,
            _ = term.recv() => false,
        };
        again(code(was_int)).await;
    }))
}

/// What a second signal does where tasks run on this machine: kill every task's process
/// group, say what may be left behind, and exit with the signal's status.
pub fn stop_now(code: i32, left: &str) -> ! {
    crate::engine::native::kill_every_group();
    eprintln!("[tc] interrupted again: stopped at once; {left}");
    for name in crate::engine::docker::live_containers() {
        eprintln!("[tc] container left: {name} (remove it with docker rm -f {name})");
    }
    std::process::exit(code);
}
