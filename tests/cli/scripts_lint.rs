//! Every shell script of the project passes `bash -n` and shellcheck (CI installs shellcheck;
//! elsewhere the shellcheck half is skipped with a note).

use crate::common;

use std::process::Command;

fn scripts() -> Vec<std::path::PathBuf> {
    let mut all = vec![common::root().join(".ci/run")];
    for entry in std::fs::read_dir(common::root().join("scripts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sh") {
            all.push(path);
        }
    }
    all
}

#[test]
fn scripts_parse_and_pass_shellcheck() {
    let have_shellcheck = Command::new("shellcheck").arg("--version").output().is_ok();
    if !have_shellcheck {
        eprintln!("note: shellcheck is not installed; only `bash -n` is checked");
    }
    for script in scripts() {
        let out = Command::new("bash")
            .arg("-n")
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        if have_shellcheck {
            let out = Command::new("shellcheck").arg(&script).output().unwrap();
            assert!(
                out.status.success(),
                "{}:\n{}",
                script.display(),
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}
