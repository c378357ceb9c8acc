//! The flags `tc run-local` and `tc worker` share — which engine, what missing artifacts do,
//! when to pull — as clap sees them, and how image pulls are drawn on stderr.

use std::collections::HashMap;
use std::io::IsTerminal;

use tc_run::engine::docker::{PullPolicy, PullProgress, PullSink};
use tc_run::taskrun::{EngineChoice, MissingPolicy};

/// `--engine`: which engine runs a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// docker-worker payloads on Docker, generic-worker payloads natively.
    Auto,
    Docker,
    Native,
}

impl From<EngineArg> for EngineChoice {
    fn from(arg: EngineArg) -> EngineChoice {
        match arg {
            EngineArg::Auto => EngineChoice::Auto,
            EngineArg::Docker => EngineChoice::Docker,
            EngineArg::Native => EngineChoice::Native,
        }
    }
}

/// `--missing-artifacts`: how missing or refused artifacts change the outcome (worker.md §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MissingArg {
    /// docker-worker: never; generic-worker: unless the artifact is optional.
    Family,
    /// Any missing artifact fails the task.
    Fail,
    /// Never.
    Ignore,
}

impl From<MissingArg> for MissingPolicy {
    fn from(arg: MissingArg) -> MissingPolicy {
        match arg {
            MissingArg::Family => MissingPolicy::Family,
            MissingArg::Fail => MissingPolicy::Fail,
            MissingArg::Ignore => MissingPolicy::Ignore,
        }
    }
}

/// `--pull`: when to pull a registry image (worker.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PullArg {
    /// Pull, then use.
    Always,
    /// Use the local image if the daemon has it, else pull.
    Missing,
    /// Never pull: an absent image is an error.
    Never,
}

impl From<PullArg> for PullPolicy {
    fn from(arg: PullArg) -> PullPolicy {
        match arg {
            PullArg::Always => PullPolicy::Always,
            PullArg::Missing => PullPolicy::Missing,
            PullArg::Never => PullPolicy::Never,
        }
    }
}

/// Draws the image pulls tc-run reports, on stderr: a bar per layer on a terminal, a line at
/// each end elsewhere.
#[derive(Debug)]
pub(super) struct PullDisplay;

impl PullProgress for PullDisplay {
    fn pull(&self, reference: &str) -> Box<dyn PullSink> {
        let tty = std::io::stderr().is_terminal();
        if !tty {
            eprintln!("tc: pulling {reference}");
        }
        Box::new(PullBars {
            reference: reference.to_owned(),
            tty,
            bars: indicatif::MultiProgress::new(),
            layers: HashMap::new(),
        })
    }
}

/// One pull as `PullDisplay` draws it.
struct PullBars {
    reference: String,
    tty: bool,
    bars: indicatif::MultiProgress,
    layers: HashMap<String, indicatif::ProgressBar>,
}

impl PullSink for PullBars {
    fn layer(&mut self, id: &str, status: &str, bytes: Option<(u64, u64)>) {
        if !self.tty {
            return;
        }
        let bar = self.layers.entry(id.to_owned()).or_insert_with(|| {
            let bar = self.bars.add(indicatif::ProgressBar::new(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} {msg:<12} {bar:30} {bytes}/{total_bytes}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_prefix(id.chars().take(12).collect::<String>());
            bar
        });
        bar.set_message(status.to_owned());
        if let Some((current, total)) = bytes {
            bar.set_length(total);
            bar.set_position(current);
        }
    }

    fn finished(self: Box<Self>, failure: Option<&str>) {
        for bar in self.layers.values() {
            bar.finish_and_clear();
        }
        if !self.tty {
            match failure {
                None => eprintln!("tc: pulled {}", self.reference),
                Some(e) => eprintln!("tc: pulling {} failed: {e}", self.reference),
            }
        }
    }
}
