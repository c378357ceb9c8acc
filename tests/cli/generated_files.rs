//! The committed completions and man pages are what the binary generates now.

use crate::common::{self, Test};

use std::collections::BTreeMap;
use std::path::Path;

const FIX: &str = "run scripts/gen-completions-and-man.sh and commit the result";

fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}; {FIX}", dir.display()))
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

#[test]
fn completions_match_the_binary() {
    for (shell, file) in [
        ("bash", "tc.bash"),
        ("zsh", "_tc"),
        ("fish", "tc.fish"),
        ("powershell", "_tc.ps1"),
        ("elvish", "tc.elv"),
    ] {
        let out = Test::new().args(["completions", shell]).run();
        let committed = std::fs::read(common::root().join("completions").join(file))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}; {FIX}"));
        assert!(
            committed == out.stdout.as_bytes(),
            "completions/{file} differs from `tc completions {shell}`: {FIX}"
        );
    }
}

#[test]
fn man_pages_match_the_binary() {
    let out = Test::new().args(["man", "--out-dir", "pages"]).run();
    let generated = files_in(&out.dir.path("pages"));
    let committed = files_in(&common::root().join("man"));
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        generated.keys().collect::<Vec<_>>(),
        "man/ has other pages than `tc man --out-dir` writes: {FIX}"
    );
    for (name, bytes) in &generated {
        assert!(
            &committed[name] == bytes,
            "man/{name} differs from what tc generates: {FIX}"
        );
    }
    for page in [
        "tc.1",
        "tc-try-parse.1",
        "tc-try-stats.1",
        "tc-queue-serve.1",
        "tc-slugid-decode.1",
    ] {
        assert!(generated.contains_key(page), "no man page {page}");
    }
}

#[test]
fn man_without_out_dir_prints_the_main_page() {
    let text = Test::new().arg("man").run().stdout;
    assert!(
        text.starts_with(".ie"),
        "not roff: {}",
        &text[..40.min(text.len())]
    );
    assert!(text.contains("try"), "the page lists the subcommands");
}
