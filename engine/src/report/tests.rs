//! The layout checked against Salt 3008's own output for the same run.

use super::*;
use serde_json::{json, Map};

use crate::compile::StateId;
use crate::result::{HostOutcome, HostReport, Report, StateResult};

/// A host's return recorded from Salt (tag → record), as typed results.
fn host(id: &str, states: &Map<String, Value>) -> HostReport {
    let results = states
        .iter()
        .map(|(tag, r)| {
            let parts: Vec<&str> = tag.split("_|-").collect();
            let [module, sid, name, fun] = parts.as_slice() else {
                panic!("not a tag: {tag}")
            };
            StateResult {
                state: StateId {
                    module: module.to_string(),
                    id: sid.to_string(),
                    name: name.to_string(),
                    fun: fun.to_string(),
                },
                sls: r["__sls__"].as_str().unwrap_or_default().into(),
                result: r["result"].as_bool(),
                changes: r["changes"].as_object().cloned().unwrap_or_default(),
                comment: r["comment"].as_str().unwrap().into(),
                start_time: r["start_time"].as_str().unwrap().into(),
                duration_ms: r["duration"].as_f64().unwrap(),
                run_num: r["__run_num__"].as_u64().unwrap() as usize,
                nested: None,
            }
        })
        .collect();
    HostReport {
        id: id.into(),
        outcome: HostOutcome::Reached(results),
    }
}

fn salt_run() -> Map<String, Value> {
    let rec = |id: &str,
               name: &str,
               result: Value,
               comment: &str,
               start: &str,
               dur: f64,
               changes: Value,
               n: u64| {
        json!({"__id__": id, "__sls__": "demo", "name": name, "result": result, "changes": changes,
               "comment": comment, "duration": dur, "start_time": start, "__run_num__": n})
    };
    Map::from_iter([
        (
            "file_|-/tmp/saltlab/out/app.conf_|-/tmp/saltlab/out/app.conf_|-managed".to_string(),
            rec(
                "/tmp/saltlab/out/app.conf",
                "/tmp/saltlab/out/app.conf",
                json!(true),
                "File /tmp/saltlab/out/app.conf updated",
                "21:00:50.832474",
                6.487,
                json!({"diff": "New file", "mode": "0640"}),
                0,
            ),
        ),
        (
            "cmd_|-hello_|-echo hi_|-run".to_string(),
            rec(
                "hello",
                "echo hi",
                json!(true),
                "Command \"echo hi\" run",
                "21:00:50.840572",
                5.125,
                json!({"pid": 701, "retcode": 0, "stderr": "", "stdout": "hi"}),
                1,
            ),
        ),
        (
            "cmd_|-skipme_|-echo no_|-run".to_string(),
            rec(
                "skipme",
                "echo no",
                json!(true),
                "onlyif condition is false",
                "21:00:50.845863",
                1025.26,
                json!({}),
                2,
            ),
        ),
        (
            "test_|-needsfail_|-needsfail_|-fail_without_changes".to_string(),
            rec(
                "needsfail",
                "needsfail",
                json!(false),
                "Failure!",
                "21:00:51.871289",
                0.441,
                json!({}),
                3,
            ),
        ),
        (
            "test_|-after_|-after_|-nop".to_string(),
            rec(
                "after",
                "after",
                json!(false),
                "One or more requisite failed: demo.needsfail",
                "21:00:51.871822",
                0.003,
                json!({}),
                4,
            ),
        ),
    ])
}

const SALT_TEXT: &str = "local:
----------
          ID: /tmp/saltlab/out/app.conf
    Function: file.managed
      Result: True
     Comment: File /tmp/saltlab/out/app.conf updated
     Started: 21:00:50.832474
    Duration: 6.487 ms
     Changes:   
              ----------
              diff:
                  New file
              mode:
                  0640
----------
          ID: hello
    Function: cmd.run
        Name: echo hi
      Result: True
     Comment: Command \"echo hi\" run
     Started: 21:00:50.840572
    Duration: 5.125 ms
     Changes:   
              ----------
              pid:
                  701
              retcode:
                  0
              stderr:
              stdout:
                  hi
----------
          ID: skipme
    Function: cmd.run
        Name: echo no
      Result: True
     Comment: onlyif condition is false
     Started: 21:00:50.845863
    Duration: 1025.26 ms
     Changes:   
----------
          ID: needsfail
    Function: test.fail_without_changes
      Result: False
     Comment: Failure!
     Started: 21:00:51.871289
    Duration: 0.441 ms
     Changes:   
----------
          ID: after
    Function: test.nop
      Result: False
     Comment: One or more requisite failed: demo.needsfail
     Started: 21:00:51.871822
    Duration: 0.003 ms
     Changes:   

Summary for local
------------
Succeeded: 3 (changed=2)
Failed:    2
------------
Total states run:     5
Total run time:   1.037 s";

#[test]
fn text_matches_salt_byte_for_byte() {
    let (text, changed) = format_host(&host("local", &salt_run()), &Palette::PLAIN);
    assert_eq!(text, SALT_TEXT);
    assert!(changed);
}

#[test]
fn test_runs_count_would_change_as_unchanged() {
    let states = Map::from_iter([(
        "cmd_|-a_|-a_|-run".to_string(),
        json!({"__id__": "a", "name": "a", "result": null, "changes": {"cmd": "a"}, "comment": "Command \"a\" would have been executed",
               "duration": 0.3, "start_time": "10:00:00.000000", "__run_num__": 0}),
    )]);
    let (text, _) = format_host(&host("h", &states), &Palette::PLAIN);
    assert!(text.contains("      Result: None\n"), "{text}");
    assert!(text.ends_with("Succeeded: 1 (unchanged=1, changed=1)\nFailed:    0\n------------\nTotal states run:     1\nTotal run time:   0.300 ms"), "{text}");
}

#[test]
fn nested_lists_and_maps() {
    let mut out = Vec::new();
    nested::display(
        &json!({"k": ["a", {"b": 1}], "t": true, "f": 1.0}),
        4,
        "",
        &Palette::PLAIN,
        &mut out,
    );
    assert_eq!(out.join("\n"), "    ----------\n    f:\n        1.0\n    k:\n        - a\n        |_\n          ----------\n          b:\n              1\n    t:\n        True");
}

#[test]
fn json_is_salts_shape_and_reads_back_the_same() {
    let report = Report {
        hosts: vec![host("local", &salt_run())],
    };
    assert_eq!(report.exit_code(), 2);
    let json = salt_json(&report);
    assert_eq!(json["local"], Value::Object(salt_run()));
}

#[test]
fn a_step_that_converged_hosts_holds_their_returns_under_ret() {
    let mut step = host(
        "master",
        &Map::from_iter([(
            "salt_|-go_|-go_|-state".to_string(),
            json!({"__id__": "go", "__sls__": "orch", "name": "go", "result": true, "changes": {"out": "highstate"},
                   "comment": "States ran successfully. Updating local.", "duration": 1.0, "start_time": "10:00:00.000000", "__run_num__": 0}),
        )]),
    );
    let HostOutcome::Reached(states) = &mut step.outcome else {
        unreachable!()
    };
    states[0].nested = Some(Report {
        hosts: vec![host("local", &salt_run())],
    });
    let report = Report { hosts: vec![step] };
    let json = salt_json(&report);
    assert_eq!(
        json["master"]["salt_|-go_|-go_|-state"]["changes"]["ret"]["local"],
        Value::Object(salt_run())
    );
    let (text, _) = format_host(&report.hosts[0], &Palette::PLAIN);
    assert!(text.contains("\n              local:\n"), "{text}");
    assert!(text.contains("Summary for local"), "{text}");
}
