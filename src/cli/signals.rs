//! SIGINT and SIGTERM for the commands that run tasks: the first one asks them to stop, a
//! second one is handled by the caller (usually: stop at once).

use tokio::signal::unix::{Signal, SignalKind, signal};

/// Watches both signals: `first(code)` at the first one, then `again(code)` at a second, each
/// with the exit status of the signal received (130 or 143). Registered before this returns.
pub(super) fn on_signals(
    first: impl FnOnce(i32) + Send + 'static,
    again: impl FnOnce(i32) + Send + 'static,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(tokio::spawn(async move {
        first(next(&mut int, &mut term).await);
        again(next(&mut int, &mut term).await);
    }))
}

/// The exit status of the next of the two signals.
async fn next(int: &mut Signal, term: &mut Signal) -> i32 {
    tokio::select! {
        _ = int.recv() => tc_run::exit_codes::SIGINT,
        _ = term.recv() => tc_run::exit_codes::SIGTERM,
    }
}

/// What a second signal does where tasks run on this machine: kill every task's process
/// group, say what may be left behind, and exit with the signal's status.
pub(super) fn stop_now(code: i32, left: &str) -> ! {
    tc_run::engine::native::kill_every_group();
    eprintln!("[tc] interrupted again: stopped at once; {left}");
    for name in tc_run::engine::docker::live_containers() {
        if tc_run::engine::guard::active() {
            eprintln!("[tc] container {name} is being removed");
        } else {
            eprintln!("[tc] container left: {name} (remove it with docker rm -f {name})");
        }
    }
    std::process::exit(code);
}
