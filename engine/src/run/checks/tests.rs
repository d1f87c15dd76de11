//! The module form of `onlyif`/`unless` against Salt 3008.4: `funchk.sls`
//! was applied with `test=True` by `salt-call --local` on a directory
//! holding one file `afile` (`salt-funchk.json`: each state's result and
//! comment). The same tree runs here through the executor on this machine
//! (local transport; the checks only read), on a directory of its own.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::functions::Registry;
use crate::host::Host;
use crate::run::{self, Options};
use crate::testing::{runtime, TestTree};
use crate::transport::local::Local;

#[test]
fn checks_by_execution_function_give_salts_answers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("afile"), "").unwrap();
    let sls =
        include_str!("funchk.sls").replace("/tmp/pgobj-salt/fx", dir.path().to_str().unwrap());
    let tree = TestTree::new(&[("funchk.sls", &sls)]);
    let graph = tree.compile("funchk").unwrap();
    let host = Host::new(
        "h",
        Arc::new(Local::new(30)),
        Arc::clone(&tree.tree),
        "base",
        tree.render.clone(),
    );
    let ours = runtime().block_on(run::run(
        &graph,
        &host,
        &Registry::states(),
        Options::test(true),
    ));
    let salt: Vec<Value> = serde_json::from_str(include_str!("salt-funchk.json")).unwrap();
    assert_eq!(ours.len(), salt.len());
    for (r, s) in ours.iter().zip(&salt) {
        assert_eq!(r.state.id, s["id"], "Salt's order");
        assert_eq!(
            json!({"result": r.result, "comment": r.comment}),
            json!({"result": s["result"], "comment": s["comment"]}),
            "{}",
            r.state.id
        );
    }
}

#[test]
fn salt_splits_a_command_into_words_without_a_shell() {
    assert_eq!(words("echo out; false"), "echo 'out;' false");
    assert_eq!(
        words("grep -q 'a b' \"c\\\"d\" e\\ f"),
        "grep -q 'a b' 'c\"d' 'e f'"
    );
    assert_eq!(path("~/x y"), "~'/x y'");
    assert_eq!(path("~postgres/.pgpass"), "~postgres/.pgpass");
    assert_eq!(path("/etc/a b"), "'/etc/a b'");
}

#[test]
fn get_return_looks_into_what_a_function_returned() {
    let r = json!({"stdout": "hi", "list": [0, {"x": 1}]});
    assert_eq!(returned(&r, Some("stdout")), json!("hi"));
    assert_eq!(returned(&r, Some("list:1:x")), json!(1));
    assert_eq!(returned(&r, Some("nope")), Value::Null);
    assert!(!truthy(&json!(0)) && truthy(&json!("0")) && !truthy(&json!({})));
}

#[test]
fn every_function_a_check_may_name_is_run() {
    for fun in FunCheck::SUPPORTED {
        let check = FunCheck {
            fun: fun.to_string(),
            args: vec![json!("/x")],
            kwargs: Default::default(),
            get_return: None,
        };
        let has_command = command(&check).is_some();
        assert_eq!(has_command, !fun.starts_with("test."), "{fun}");
    }
}
