//! Compiling trees: Salt's run order, names, extend, requisites in both
//! directions, and the errors a tree can have.

use serde_json::json;

use super::*;
use crate::testing::TestTree;

/// Compile the sls `main` of a tree made of `files` ((path, text)).
fn compile_tree(files: &[(&str, &str)]) -> Result<Graph, Error> {
    TestTree::new(files).compile("main")
}

fn order(g: &Graph) -> Vec<String> {
    g.order
        .iter()
        .map(|&i| g.chunks[i].state.name.clone())
        .collect()
}

/// The same tree run through Salt 3008 gave this order (`__run_num__`).
#[test]
fn run_order_is_salts() {
    let main = "include:\n  - inc\na:\n  test.nop: []\nb:\n  test.nop:\n    - require:\n      - test: d\nc:\n  test.nop:\n    - order: 1\nd:\n  test.nop: []\ne:\n  test.nop:\n    - order: last\nf:\n  test.nop:\n    - require_in:\n      - test: a\ng:\n  test.nop:\n    - names:\n      - zz\n      - aa\nh:\n  test.nop:\n    - order: -1\n";
    let g = compile_tree(&[("main.sls", main), ("inc.sls", "incl:\n  test.nop: []\n")]).unwrap();
    assert_eq!(
        order(&g),
        ["c", "incl", "f", "a", "d", "b", "zz", "aa", "h", "e"]
    );
}

#[test]
fn names_and_name_specific_arguments() {
    let g = compile_tree(&[(
        "main.sls",
        "files:\n  file.managed:\n    - mode: 644\n    - contents: x\n    - names:\n      - /a\n      - /b:\n        - mode: 600\n",
    )])
    .unwrap();
    assert_eq!(order(&g), ["/a", "/b"]);
    let mode = |i: usize| g.chunks[i].arg("mode").unwrap().to_json();
    assert_eq!((mode(0), mode(1)), (json!(644), json!(600)));
    assert_eq!(g.chunks[1].state.tag(), "file_|-files_|-/b_|-managed");
}

#[test]
fn extend_appends_requisites_and_replaces_arguments() {
    let g = compile_tree(&[
        ("main.sls", "include:\n  - .web\nextend:\n  site:\n    file.managed:\n      - mode: 600\n      - require:\n        - test: two\ntwo:\n  test.nop: []\n"),
        ("web.sls", "one:\n  test.nop: []\nsite:\n  file.managed:\n    - name: /srv/site\n    - mode: 644\n    - require:\n      - test: one\n"),
    ])
    .unwrap();
    let site = g.chunks.iter().position(|c| c.state.id == "site").unwrap();
    assert_eq!(g.chunks[site].arg("mode").unwrap().to_json(), json!(600));
    let deps: Vec<&str> = g.deps[site]
        .iter()
        .map(|(_, t)| g.chunks[*t].state.id.as_str())
        .collect();
    assert_eq!(deps, ["one", "two"]);
}

#[test]
fn requisites_by_name_by_glob_and_by_sls() {
    let g = compile_tree(&[
        ("main.sls", "include:\n  - lib\nconf:\n  file.managed:\n    - name: /etc/app.conf\n    - contents: x\nuse-name:\n  test.nop:\n    - require:\n      - file: /etc/app.conf\nuse-glob:\n  test.nop:\n    - watch:\n      - test: lib-*\nuse-sls:\n  test.nop:\n    - onchanges:\n      - sls: lib\n"),
        ("lib.sls", "lib-1:\n  test.nop: []\nlib-2:\n  test.nop: []\n"),
    ])
    .unwrap();
    let deps = |id: &str| {
        let i = g.chunks.iter().position(|c| c.state.id == id).unwrap();
        g.deps[i]
            .iter()
            .map(|(k, t)| format!("{}:{}", k.name(), g.chunks[*t].state.id))
            .collect::<Vec<_>>()
    };
    assert_eq!(deps("use-name"), ["require:conf"]);
    assert_eq!(deps("use-glob"), ["watch:lib-1", "watch:lib-2"]);
    assert_eq!(deps("use-sls"), ["onchanges:lib-1", "onchanges:lib-2"]);
}

#[test]
fn one_id_may_hold_two_modules_but_not_one_twice() {
    let g = compile_tree(&[(
        "main.sls",
        "/srv/app:\n  file.directory: []\n  cmd.run:\n    - name: echo hi\n",
    )])
    .unwrap();
    assert_eq!(g.chunks.len(), 2);
    let err = compile_tree(&[(
        "main.sls",
        "/srv/app:\n  file.directory: []\n  file.absent: []\n",
    )])
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("declares the state module `file` twice"),
        "{err}"
    );
}

#[test]
fn cycles_name_every_state_in_them() {
    let err = compile_tree(&[(
        "main.sls",
        "a:\n  test.nop:\n    - require:\n      - test: b\nb:\n  test.nop:\n    - require:\n      - test: c\nc:\n  test.nop:\n    - watch:\n      - test: a\nfree:\n  test.nop: []\n",
    )])
    .unwrap_err();
    let Error::RequisiteCycle { states } = &err else {
        panic!("{err}")
    };
    let names: Vec<String> = states
        .iter()
        .map(|(n, s)| format!("{n} at {}", s.to_string().rsplit('/').next().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            "a (test.nop) at main.sls:1:1",
            "b (test.nop) at main.sls:5:1",
            "c (test.nop) at main.sls:9:1"
        ]
    );
}
