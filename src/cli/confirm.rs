//! Asking before a change to a queue (cancel, seal, retrigger).

use std::io::IsTerminal;

use crate::error::{Error, Result};

/// `Proceed? [y/N]` on a terminal; without one, `--yes` is needed (exit 2).
pub(super) fn confirm(what: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "{what}: confirm with -y/--yes (stdin is not a terminal)"
        )));
    }
    let ok = dialoguer::Confirm::new()
        .with_prompt(format!("{what}. Proceed?"))
        .default(false)
        .interact()
        .map_err(|e| Error::Usage(format!("cannot ask for confirmation: {e}")))?;
    if ok {
        Ok(())
    } else {
        Err(Error::Usage("not confirmed; nothing was changed".into()))
    }
}
