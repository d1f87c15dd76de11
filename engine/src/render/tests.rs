use super::*;
use serde_json::json;

fn ctx() -> HostContext {
    HostContext::new(
        "base",
        &json!({"id": "pgdb1", "host": "pgdb1", "os_family": "Debian"}),
        &json!({"postgres": {"writer": "pgdb1", "query": "pgdb2"}, "dbs": ["a", "b"]}),
        None,
    )
}

fn render(text: &str) -> Result<String, Error> {
    let r = Renderer::new(vec![]);
    r.render_sls(&Source::new("web/init.sls", text), "web", &ctx())
}

#[test]
fn salt_settings_keep_newline_and_whitespace() {
    assert_eq!(
        render("a\n{% if true %}\nb\n{% endif %}\n").unwrap(),
        "a\n\nb\n\n"
    );
}

#[test]
fn included_templates_lose_their_final_newline_as_in_salt() {
    let dir = crate::testing::files(&[("header.j2", "# header\n")]);
    let r = Renderer::new(vec![dir.path().to_path_buf()]);
    let render = |text: &str| {
        r.render_sls(&Source::new("main.sls", text), "main", &ctx())
            .unwrap()
    };
    assert_eq!(
        render("{% include 'header.j2' %}\nbody\n"),
        "# header\nbody\n"
    );
    assert_eq!(render("{% include 'header.j2' %}body"), "# headerbody");
    assert_eq!(render("a\n\n"), "a\n\n");
}

#[test]
fn grains_pillar_and_naming_variables() {
    let out = render("{{ grains['host'] }} {{ pillar.postgres.writer }} {{ sls }} {{ slspath }} {{ tpldir }} {{ saltenv }}").unwrap();
    assert_eq!(out, "pgdb1 pgdb1 web web web base");
}

#[test]
fn python_methods_and_salt_functions() {
    let out = render(
        "{{ pillar.get('postgres:query') }} {{ salt['pillar.get']('postgres:writer', 'x') }} \
         {{ salt['pillar.get']('nope:deeper') }}|{{ salt['grains.get']('os_family') }} \
         {% for k, v in pillar.postgres.items() %}{{ k }}={{ v }};{% endfor %} \
         {{ 'pgdb1'.startswith('pg') }} {{ pillar.postgres.get('none', 'd') }}",
    )
    .unwrap();
    assert_eq!(out, "pgdb2 pgdb1 |Debian writer=pgdb1;query=pgdb2; True d");
}

#[test]
fn host_in_list_as_the_seed_writes_it() {
    let out = render("{% if grains['host'] in [pillar['postgres']['query']] %}standby{% else %}writer{% endif %}").unwrap();
    assert_eq!(out, "writer");
}

#[test]
fn serializer_filters() {
    assert_eq!(render("{{ pillar.dbs | yaml }}").unwrap(), "[a, b]");
    assert_eq!(
        render("{{ pillar.postgres | json }}").unwrap(),
        "{\"query\": \"pgdb2\", \"writer\": \"pgdb1\"}"
    );
}

#[test]
fn undefined_variables_are_errors_with_a_place() {
    let err = render("a: 1\nb: {{ nope }}\n").unwrap_err();
    let Error::Jinja {
        span: Some(span),
        template,
        message,
    } = err
    else {
        panic!()
    };
    assert_eq!(template, "web/init.sls");
    assert_eq!(span.to_string(), "web/init.sls:2:7");
    assert!(message.contains("undefined"), "{message}");
}

#[test]
fn syntax_errors_have_a_place() {
    let err = render("a: 1\n{% if %}\n").unwrap_err();
    let Error::Jinja {
        span: Some(span), ..
    } = err
    else {
        panic!()
    };
    assert_eq!(span.line, 2);
}

#[test]
fn includes_resolve_in_the_roots_and_relative() {
    let dir = crate::testing::files(&[
        ("web/map.jinja", "{% set port = 6432 %}"),
        ("top.jinja", "{% macro hi() %}hi{% endmacro %}"),
    ]);
    let r = Renderer::new(vec![dir.path().to_path_buf()]);
    let src = Source::new(
        "web/init.sls",
        "{% from './map.jinja' import port %}{% import 'top.jinja' as t %}{{ port }} {{ t.hi() }}",
    );
    assert_eq!(r.render_sls(&src, "web", &ctx()).unwrap(), "6432 hi");
}

#[test]
fn file_templates_see_context_over_defaults() {
    let r = Renderer::new(vec![]);
    let extra = json!({"restore_cmd": "scp x"}).as_object().unwrap().clone();
    let src = Source::new(
        "postgres/recovery.conf.j2",
        "restore_command = '{{ restore_cmd }}'\n",
    );
    assert_eq!(
        r.render_file(&src, "postgres", &ctx(), &extra).unwrap(),
        "restore_command = 'scp x'\n"
    );
}

#[test]
fn normalizes_relative_paths() {
    assert_eq!(normalize("a/b/../c"), "a/c");
    assert_eq!(normalize("a/./b"), "a/b");
}

#[test]
fn values_print_as_jinja2_prints_them() {
    assert_eq!(
        render("{{ pillar.dbs }} {{ none }} {{ true }} {{ {'k': none, 'n': 1.0} }} {{ \"it's\" }}")
            .unwrap(),
        "['a', 'b'] None True {'k': None, 'n': 1.0} it's"
    );
    assert_eq!(
        render("{{ [\"it's\", 'x\\ny'] }}").unwrap(),
        "[\"it's\", 'x\\ny']"
    );
    assert_eq!(
        render("{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(1) }}").unwrap(),
        "2.0 4.0 2.7"
    );
    assert_eq!(
        render("{{ {'b': 1, 'a': '<'} | tojson }}").unwrap(),
        "{\"b\": 1, \"a\": \"\\u003c\"}"
    );
}

/// The cases in `salt_cases/`: each template rendered by converge must
/// give, byte for byte, what Salt 3008.4 gave (`NAME.expected`, recorded
/// by `salt_cases/record.sh` with the same grains and pillar).
#[test]
fn templates_render_as_salt_renders_them() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render/salt_cases");
    let load = |rel: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(rel)).unwrap();
        crate::yaml::load(&Source::new(rel, text))
            .unwrap()
            .map(|n| n.to_json())
            .unwrap_or_default()
    };
    let mut grains = load("_grains.yaml");
    grains["id"] = json!("saltref");
    grains["saltversioninfo"] = json!([3008, 4]);
    let pillar = load("_pillar/data.sls");
    let ctx = HostContext::new("base", &grains, &pillar, None);
    let r = Renderer::new(vec![dir.clone()]);
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sls"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "the cases are missing");
    let mut failures = Vec::new();
    for case in cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&case).unwrap();
        let expected = std::fs::read_to_string(dir.join(format!("{name}.expected"))).unwrap();
        let src = Source::new(format!("{name}.sls"), text);
        match r.render_sls(&src, &name, &ctx) {
            Ok(out) if out == expected => {}
            Ok(out) => {
                let diff = similar::TextDiff::from_lines(&expected, &out)
                    .unified_diff()
                    .header("salt", "converge")
                    .to_string();
                failures.push(format!("{name}:\n{diff}"));
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unknown_salt_functions_are_named() {
    let e = render("x: {{ salt['grains.fliter_by']({'Debian': 'x'}) }}\n").unwrap_err();
    assert_eq!(
        e.headline(),
        "Jinja error in web/init.sls: salt['grains.fliter_by'] is not available while rendering (did you mean `grains.filter_by`?)"
    );
    let e = render("{{ salt.nomodule.x() }}").unwrap_err();
    assert!(
        e.headline().contains("salt['nomodule.x'] is not available"),
        "{e}"
    );
}

#[test]
fn errors_in_expressions_over_several_lines_point_where_they_are() {
    let err = render("a: 1\n{% set x = salt['grains.filter_by'](\n  {'Debian': {'a': 1},\n   'RedHat': {'b': 2}},\n  merge='text') %}\nb: 2\n").unwrap_err();
    let Error::Jinja {
        span: Some(span),
        message,
        ..
    } = err
    else {
        panic!()
    };
    assert_eq!(span.to_string(), "web/init.sls:2:12");
    assert_eq!(message, "filter_by merge argument must be a dictionary.");
    let err = render("{% if true and nope.x < [1] %}{% endif %}").unwrap_err();
    assert_eq!(
        err.to_string().lines().next().unwrap(),
        "error: Jinja error in web/init.sls: undefined variable `nope.x`"
    );
}

#[test]
fn serializer_tags_resolve_relative_paths_and_report_yaml_errors_in_the_imported_file() {
    let dir = crate::testing::files(&[
        ("web/defaults.yaml", "port: {{ 6431 + 1 }}\nname: web\n"),
        ("web/broken.yaml", "a: 1\n  b: 2\n"),
    ]);
    let r = Renderer::new(vec![dir.path().to_path_buf()]);
    let src = Source::new(
        "web/init.sls",
        "{% import_yaml './defaults.yaml' as d %}{% import_yaml 'web/defaults.yaml' as e %}{{ d.port }} {{ e.name }}",
    );
    assert_eq!(r.render_sls(&src, "web", &ctx()).unwrap(), "6432 web");
    let src = Source::new(
        "web/init.sls",
        "a: 1\n{% import_yaml './broken.yaml' as b %}\n",
    );
    let err = r.render_sls(&src, "web", &ctx()).unwrap_err();
    let Error::Yaml { span, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(span.line, 2);
    assert!(span.source.name.ends_with("web/broken.yaml"), "{err}");
}

#[test]
fn a_render_that_changes_pillar_changes_only_its_own() {
    let r = Renderer::new(vec![]);
    let c = ctx();
    let first = Source::new(
        "a.sls",
        "{% do pillar.postgres.update({'writer': 'changed'}) %}{{ pillar.postgres.writer }}",
    );
    assert_eq!(r.render_sls(&first, "a", &c).unwrap(), "changed");
    let second = Source::new(
        "b.sls",
        "{{ pillar.postgres.writer }} {{ salt['pillar.get']('postgres:writer') }}",
    );
    assert_eq!(r.render_sls(&second, "b", &c).unwrap(), "pgdb1 pgdb1");
}
