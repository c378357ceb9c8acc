//! Every conformance corpus's `config.yml` (tests/taskgraph-compat) loads, except the ones whose
//! point is a bad configuration, which fail naming the problem.

use crate::common;

#[test]
fn corpus_configurations_load_or_fail_as_taskgraph_does() {
    let corpora = common::corpora();
    let mut seen = 0;
    for entry in std::fs::read_dir(&corpora).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let loaded = tc_graph::config::Config::load(&dir.join("taskcluster"));
        match name.as_str() {
            "err-config-alias-extra-key" => {
                let e = loaded.unwrap_err();
                assert!(e.to_string().contains("region"), "{name}: {e:?}");
            }
            "err-missing-config" | "err-old-ci-layout" => {
                let e = loaded.unwrap_err();
                assert!(
                    e.to_string()
                        .contains("couldn't find taskgraph configuration"),
                    "{name}: {e:?}"
                );
            }
            _ => {
                let c = loaded.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert!(!c.trust_domain.is_empty(), "{name}");
            }
        }
        seen += 1;
    }
    assert!(seen > 50, "the corpora are where they should be ({seen})");
}
