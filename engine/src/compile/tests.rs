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

/// Salt 3008.4's test run of this tree ran it in this order: a state
/// required early (`user`, by `early`) is pulled to `early`'s place, but
/// not what it needs (`group` keeps its own); the prereq's declarer
/// (`dir`) waits on its target's requisites; the order of a requiring
/// state is read as written (`w`'s -1 pulls `x` before everything) and
/// without its `names` fraction.
#[test]
fn requisites_pull_one_step_as_salts_sort_does() {
    let main = "early:\n  test.nop:\n    - require:\n      - test: user\na:\n  test.nop: []\nb:\n  test.nop: []\ngroup:\n  test.nop: []\ndir:\n  test.nop:\n    - prereq:\n      - test: user\nuser:\n  test.nop:\n    - require:\n      - test: group\nlate:\n  test.nop:\n    - names:\n      - n1\n      - n2:\n        - require:\n          - test: c\nc:\n  test.nop: []\nw:\n  test.nop:\n    - order: -1\n    - require:\n      - test: x\nx:\n  test.nop: []\n";
    let g = compile_tree(&[("main.sls", main)]).unwrap();
    assert_eq!(
        order(&g),
        ["x", "a", "b", "group", "dir", "user", "early", "c", "n1", "n2", "w"]
    );
    // `dir`, first in the file, waits for `group`, which `user` needs.
    let pre = "dir:\n  test.nop:\n    - prereq:\n      - test: user\na:\n  test.nop: []\nuser:\n  test.nop:\n    - require:\n      - test: group\ngroup:\n  test.nop: []\n";
    let g = compile_tree(&[("main.sls", pre)]).unwrap();
    assert_eq!(order(&g), ["a", "group", "dir", "user"]);
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

/// Salt 3008.4's `state.show_low_sls main` of the same tree shows `site`
/// as web.sls wrote it (mode 644, one require): it does not apply extend.
/// The chunk that runs has the extend; the declaration stays beside it.
#[test]
fn extend_keeps_the_declaration_as_written_for_show() {
    let g = compile_tree(&[
        ("main.sls", "include:\n  - .web\nextend:\n  site:\n    file.managed:\n      - mode: 600\n      - require:\n        - test: two\ntwo:\n  test.nop: []\n"),
        ("web.sls", "one:\n  test.nop: []\nsite:\n  file.managed:\n    - name: /srv/site\n    - mode: 644\n    - require:\n      - test: one\n"),
    ])
    .unwrap();
    let site = g.chunks.iter().find(|c| c.state.id == "site").unwrap();
    let declared = site.as_declared.as_deref().expect("extended");
    assert_eq!(declared.arg("mode").unwrap().to_json(), json!(644));
    assert_eq!(declared.requisites.len(), 1);
    assert_eq!(declared.order, 10001.0);
    assert_eq!(site.requisites.len(), 2);
    let one = g.chunks.iter().find(|c| c.state.id == "one").unwrap();
    assert!(one.as_declared.is_none());
}

/// A requisite on an sls that declares no states names nothing and is
/// dropped from the run, but `show` prints it as written, as Salt does.
#[test]
fn a_requisite_on_an_sls_without_states_is_shown_as_written() {
    let g = compile_tree(&[
        ("main.sls", "include:\n  - empty\na:\n  test.nop:\n    - require_in:\n      - sls: empty\n      - test: b\nb:\n  test.nop: []\n"),
        ("empty.sls", "include:\n  - other\n"),
        ("other.sls", "c:\n  test.nop: []\n"),
    ])
    .unwrap();
    let a = g.chunks.iter().find(|c| c.state.id == "a").unwrap();
    assert_eq!(a.requisites.len(), 1);
    assert_eq!(a.as_declared.as_deref().unwrap().requisites.len(), 2);
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

/// The tree `salt/ord` (see salt/README.md), its `init.sls` cut before
/// `extend:` when `extend` is false, compiled for `ord` and `ord.other`.
fn ord(extend: bool) -> Graph {
    let init = include_str!("salt/ord/init.sls");
    let init = if extend {
        init
    } else {
        &init[..init.find("extend:").unwrap()]
    };
    let t = TestTree::new(&[
        ("ord/init.sls", init),
        ("ord/b.sls", include_str!("salt/ord/b.sls")),
        ("ord/c.sls", include_str!("salt/ord/c.sls")),
        ("ord/x.sls", include_str!("salt/ord/x.sls")),
        ("ord/other.sls", include_str!("salt/ord/other.sls")),
    ]);
    let cli = crate::source::Source::new("cli", "ord,ord.other");
    let entries: Vec<(String, String, crate::source::Span)> = ["ord", "ord.other"]
        .iter()
        .map(|s| {
            (
                "base".into(),
                s.to_string(),
                crate::source::Span::file(&cli),
            )
        })
        .collect();
    let high = crate::tree::High::build(&t.tree, &t.render, &entries).unwrap();
    Graph::build(compile(&high, crate::functions::Registry::states().as_ref()).unwrap()).unwrap()
}

/// Salt numbers only the states without `order:`, included sls first;
/// `last` and negative orders count from a cap found walking its high
/// data, an sls's own states before those it includes; and it records
/// which sls included a state's sls.
#[test]
fn order_numbers_and_includers_are_salts() {
    let g = ord(false);
    let salt: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("salt/ord-show_low_sls-without-extend.json")).unwrap();
    assert_eq!(g.chunks.len(), salt.len());
    for s in &salt {
        let c = g
            .chunks
            .iter()
            .find(|c| c.state.id == s["id"] && c.state.name == s["name"])
            .unwrap_or_else(|| panic!("no chunk for {s}"));
        assert_eq!(c.order, s["order"].as_f64().unwrap(), "{s}");
        assert_eq!(c.sls, s["sls"], "{s}");
        assert_eq!(json!(c.included_from), s["included_from"], "{s}");
    }
}

#[test]
fn run_order_with_extend_is_salts() {
    let g = ord(true);
    let salt: Vec<(String, String)> =
        serde_json::from_str(include_str!("salt/ord-run-order.json")).unwrap();
    let ours: Vec<(String, String)> = g
        .order
        .iter()
        .map(|&i| (g.chunks[i].state.id.clone(), g.chunks[i].state.name.clone()))
        .collect();
    assert_eq!(ours, salt);
}

#[test]
fn onlyif_and_unless_take_salts_module_form() {
    let g = compile_tree(&[(
        "main.sls",
        "a:\n  test.nop:\n    - onlyif:\n      - test -d /x\n      - fun: file.file_exists\n        path: /etc/x\n    - unless:\n      - fun: cmd.run_all\n        args: [echo hi]\n        get_return: stdout\n    - reload_modules: True\n    - retry:\n        attempts: 3\n        until: False\n",
    )])
    .unwrap();
    let c = &g.chunks[0];
    assert_eq!(c.checks.onlyif, ["test -d /x"]);
    assert_eq!(c.checks.onlyif_fun[0].fun, "file.file_exists");
    assert_eq!(c.checks.onlyif_fun[0].kwargs["path"], "/etc/x");
    assert_eq!(c.checks.unless_fun[0].args, [json!("echo hi")]);
    assert_eq!(c.checks.unless_fun[0].get_return.as_deref(), Some("stdout"));
    assert_eq!(
        c.retry,
        Some(Retry {
            until: false,
            attempts: 3,
            interval: 30,
            splay: 0
        })
    );
    // Kept as written (Salt's low chunk shows them), but not the function's.
    let written: Vec<&str> = c.args.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        written,
        ["name", "onlyif", "unless", "reload_modules", "retry"]
    );
    let parsed = c.args_node();
    assert_eq!(parsed.as_map().unwrap().len(), 1);
}

#[test]
fn a_check_converge_cannot_run_is_refused_where_it_is_named() {
    let err = compile_tree(&[(
        "main.sls",
        "a:\n  test.nop:\n    - onlyif:\n      - fun: pkg.version\n        name: nginx\n",
    )])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("converge cannot run `pkg.version` as a check; it runs file.file_exists"),
        "{text}"
    );
    assert!(text.contains("main.sls:4:9"), "{text}");
    let err = compile_tree(&[(
        "main.sls",
        "a:\n  test.nop:\n    - retry:\n        attempts: many\n",
    )])
    .unwrap_err();
    assert!(err.to_string().contains("expected a whole number"), "{err}");
}

#[test]
fn listen_neither_orders_nor_gates_and_names_states() {
    let g = compile_tree(&[(
        "main.sls",
        "svc:\n  test.nop:\n    - listen:\n      - test: conf\nconf:\n  test.nop:\n    - listen_in:\n      - svc2\nsvc2:\n  test.nop: []\n",
    )])
    .unwrap();
    let id = |i: usize| g.chunks[i].state.id.as_str();
    let pairs: Vec<(&str, &str)> = g.listen.iter().map(|&(l, t)| (id(l), id(t))).collect();
    assert_eq!(pairs, [("svc", "conf"), ("svc2", "conf")]);
    assert!(g.deps.iter().all(Vec::is_empty));
    assert_eq!(order(&g), ["svc", "conf", "svc2"]);
    let err = compile_tree(&[(
        "main.sls",
        "svc:\n  test.nop:\n    - listen:\n      - sls: other\n",
    )])
    .unwrap_err();
    assert!(err.to_string().contains("listen names states"), "{err}");
    let err = compile_tree(&[(
        "main.sls",
        "svc:\n  test.nop:\n    - listen:\n      - test: nothing\n",
    )])
    .unwrap_err();
    assert!(matches!(err, Error::MissingRequisite { .. }), "{err}");
}
