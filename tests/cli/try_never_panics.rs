//! Arbitrary input through locate, tokenize, options and resolve: never a panic, and every
//! error offset lands on a character boundary of the try text.

use proptest::prelude::*;
use tc_try::{Context, Input};

fn context() -> Context {
    Context {
        build_types: vec!["opt".into(), "debug".into()],
        build_platforms: vec!["linux64".into(), "macosx64-shippable".into()],
        test_platforms: vec!["linux1804-64/opt".into()],
        ridealong_builds: [("linux64".to_owned(), vec!["sm".to_owned()])].into(),
        unittest_try_names: vec![
            "gtest".into(),
            "mochitest-browser-chrome".into(),
            "foo-3".into(),
        ],
        talos_try_names: vec!["damp".into()],
        raptor_try_names: vec![],
    }
}

/// Fragments that reach the interesting paths more often than random text does.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("try:".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just("=".to_owned()),
        Just("-".to_owned()),
        Just("--".to_owned()),
        prop::sample::select(vec![
            "-b",
            "-p",
            "-u",
            "-t",
            "-r",
            "-i",
            "-e",
            "-f",
            "-j",
            "-w",
            "--rebuild",
            "--reb",
            "--setenv",
            "--tag",
            "--artifact",
            "--plat",
            "all",
            "none",
            "do",
            "macosx64",
            "linux64",
            "gtest-1",
            "mochitest-bc",
            "x64",
            "Windows 10",
            "-1",
            "é",
            "all[-x64]",
            "gtest[a,-b]",
            "A=B",
            "-ibo",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,6}",
    ]
}

fn check(text: &str, ctx: &Context) {
    for input in [Input::Message(text), Input::TryString(text)] {
        let shown = match input {
            Input::Message(m) => tc_try::try_line(m).unwrap_or_default(),
            Input::TryString(s) => s,
        };
        if let Err(e) = tc_try::parse(input, Some(ctx)) {
            if let Some(span) = &e.span {
                assert!(
                    span.start <= span.end && span.end <= shown.len(),
                    "{e:?} in {shown:?}"
                );
                assert!(shown.is_char_boundary(span.start) && shown.is_char_boundary(span.end));
            }
            let _ = tc::output::render_error::try_error(&e, shown, false);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn try_like_input_never_panics(parts in prop::collection::vec(fragment(), 0..24)) {
        check(&parts.concat(), &context());
    }

    #[test]
    fn arbitrary_strings_never_panic(text in "\\PC{0,80}") {
        check(&text, &context());
        check(&format!("try: {text}"), &context());
    }
}
