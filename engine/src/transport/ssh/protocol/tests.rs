//! The wire format on bytes recorded from agent.sh (run locally, requests
//! piped in); no host.

use super::*;

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn paths(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

#[test]
fn requests_are_a_header_nul_ended_fields_and_the_payload() {
    let exec = Request::Exec {
        line: "echo 'a\nb'",
        stdin: Some(b"in\0put"),
    };
    assert_eq!(
        exec.encode("N1").unwrap(),
        b"N1 x 2\necho 'a\nb'\x006\x00in\x00put"
    );
    let no_stdin = Request::Exec {
        line: "true",
        stdin: None,
    };
    assert_eq!(no_stdin.encode("N1").unwrap(), b"N1 x 2\ntrue\x00\x00");

    let read = Request::Read {
        paths: &paths(&["/etc/a b", "/x"]),
    };
    assert_eq!(read.encode("N1").unwrap(), b"N1 r 2\n/etc/a b\x00/x\x00");

    let w = WriteFile {
        path: "/etc/it's".into(),
        content: b"x\0y".to_vec(),
        user: Some("postgres".into()),
        group: None,
        mode: Some(0o640),
        makedirs: true,
    };
    assert_eq!(
        Request::Write(&w).encode("N1").unwrap(),
        b"N1 w 6\n/etc/it's\x001\x00postgres\x00\x00640\x003\x00x\0y"
    );
    let kept = WriteFile {
        mode: None,
        user: None,
        makedirs: false,
        ..w
    };
    assert_eq!(
        Request::Write(&kept).encode("N1").unwrap(),
        b"N1 w 6\n/etc/it's\x000\x00\x00\x00\x003\x00x\0y"
    );
}

#[test]
fn a_nul_cannot_hide_in_a_field() {
    let read = Request::Read {
        paths: &paths(&["/a\0b"]),
    };
    assert_eq!(read.encode("N1"), Err(NulInField("/a\0b".into())));
}

#[test]
fn greeting_after_noise_from_a_login_shell() {
    let mut r: &[u8] = b"Welcome!\nconverge-agent N1 20064\nP1\n";
    assert_eq!(block(hello(&mut r, "N1")).unwrap(), 20064);
    assert_eq!(r, b"P1\n");
    let mut other: &[u8] = b"converge-agent N2 20064\n";
    assert!(matches!(
        block(hello(&mut other, "N1")),
        Err(ProtocolError::Garbled(_))
    ));
    let mut nothing: &[u8] = b"bash: not found\n";
    assert!(matches!(
        block(hello(&mut nothing, "N1")),
        Err(ProtocolError::Closed)
    ));
}

#[test]
fn a_command_with_binary_stderr_and_one_with_stdin() {
    let mut r: &[u8] = b"P20069\nX3 4 4\nout\ne\0rrP20075\nX0 3 0\nabc";
    assert_eq!(block(started(&mut r)).unwrap(), 20069);
    let f = block(finished(&mut r)).unwrap();
    assert_eq!(
        f,
        Finished {
            code: 3,
            stdout: b"out\n".to_vec(),
            stderr: b"e\0rr".to_vec()
        }
    );
    assert_eq!(block(started(&mut r)).unwrap(), 20075);
    assert_eq!(block(finished(&mut r)).unwrap().stdout, b"abc");
    assert!(r.is_empty());
}

#[test]
fn a_cut_reply_is_a_closed_channel() {
    let mut r: &[u8] = b"P20069\nX0 10 0\nonly";
    block(started(&mut r)).unwrap();
    assert!(matches!(
        block(finished(&mut r)),
        Err(ProtocolError::Closed)
    ));
    let mut r: &[u8] = b"";
    assert!(matches!(block(started(&mut r)), Err(ProtocolError::Closed)));
    let mut r: &[u8] = b"W\n";
    assert!(matches!(
        block(started(&mut r)),
        Err(ProtocolError::Garbled(_))
    ));
}

#[test]
fn an_agent_that_gives_up_says_why() {
    let mut r: &[u8] = b"D\0cannot store stdin: No space left on device\0";
    match block(started(&mut r)) {
        Err(ProtocolError::Stopped(m)) => {
            assert_eq!(m, "cannot store stdin: No space left on device");
        }
        other => panic!("{other:?}"),
    }
}

/// rec/a.txt ("hello\0world"), rec/missing, rec/d (a directory), rec/l (a
/// symlink), then the record of the agent's file holding the contents.
const READ: &[u8] = b"Ffmoo\n81a4 0 0 11 root root\n41ed 0 0 4096 root root\na1ff 0 0 5 root root\n81a4 0 0 11 root root\n.\nhello\0worldW\n";

#[test]
fn files_stat_and_content_in_one_reply() {
    let mut r = READ;
    let asked = paths(&["rec/a.txt", "rec/missing", "rec/d", "rec/l"]);
    let Files::Read(facts) = block(files(&mut r, &asked)).unwrap().unwrap() else {
        panic!("changed")
    };
    assert_eq!(r, b"W\n", "the reply is consumed to its end and no further");
    assert_eq!(
        facts[0],
        FileFact {
            path: "rec/a.txt".into(),
            kind: FileKind::File,
            mode: 0o644,
            user: "root".into(),
            group: "root".into(),
            size: 11,
            content: Some(b"hello\0world".to_vec()),
        }
    );
    assert_eq!(facts[1], FileFact::missing("rec/missing"));
    assert_eq!(
        (facts[2].kind, facts[2].mode, facts[2].content.as_ref()),
        (FileKind::Directory, 0o755, None)
    );
    assert_eq!((facts[3].kind, facts[3].mode), (FileKind::Symlink, 0o777));
}

#[test]
fn contents_split_by_sizes_and_unknown_ids_stay_numbers() {
    let mut r: &[u8] = b"Fff\n81a0 70 71 3 postgres UNKNOWN\n8180 1001 0 0 UNKNOWN root\n81a4 0 0 3 root root\n.\nab\n";
    let Files::Read(facts) = block(files(&mut r, &paths(&["/a", "/b"])))
        .unwrap()
        .unwrap()
    else {
        panic!("changed")
    };
    assert_eq!(facts[0].content.as_deref(), Some(&b"ab\n"[..]));
    assert_eq!(
        (
            facts[0].mode,
            facts[0].user.as_str(),
            facts[0].group.as_str()
        ),
        (0o640, "postgres", "71")
    );
    assert_eq!(facts[1].content.as_deref(), Some(&b""[..]));
    assert_eq!((facts[1].mode, facts[1].user.as_str()), (0o600, "1001"));
}

#[test]
fn a_file_that_changed_between_stat_and_cat_asks_for_a_retry() {
    // stat says 3 bytes, cat found 5: the reply is still read to its end.
    let mut r: &[u8] = b"Ff\n81a4 0 0 3 root root\n81a4 0 0 5 root root\n.\nabcdeW\n";
    assert_eq!(
        block(files(&mut r, &paths(&["/a"]))).unwrap().unwrap(),
        Files::Changed
    );
    assert_eq!(r, b"W\n");
    // A path that vanished before stat: one record short.
    let mut r: &[u8] = b"Fof\n81a4 0 0 1 root root\n81a4 0 0 1 root root\n.\nx";
    assert_eq!(
        block(files(&mut r, &paths(&["/gone", "/a"])))
            .unwrap()
            .unwrap(),
        Files::Changed
    );
    // A directory where a file was.
    let mut r: &[u8] = b"Ff\n41ed 0 0 0 root root\n81a4 0 0 0 root root\n.\n";
    assert_eq!(
        block(files(&mut r, &paths(&["/a"]))).unwrap().unwrap(),
        Files::Changed
    );
}

#[test]
fn refusals_name_the_path_and_say_why() {
    let mut r: &[u8] = b"Erec/no/new\0Parent directory not present\0";
    assert_eq!(
        block(written(&mut r)).unwrap().unwrap_err(),
        Refusal {
            path: "rec/no/new".into(),
            message: "Parent directory not present".into(),
            fatal: false
        }
    );
    let mut r: &[u8] = b"D/etc/x\0cannot write\0";
    assert!(block(written(&mut r)).unwrap().unwrap_err().fatal);
    let mut r: &[u8] = b"E/root/secret\0Permission denied\0";
    let refusal = block(files(&mut r, &paths(&["/root/secret"])))
        .unwrap()
        .unwrap_err();
    assert_eq!(refusal.message, "Permission denied");
    let mut r: &[u8] = b"W\n";
    assert_eq!(block(written(&mut r)).unwrap(), Ok(()));
}

#[test]
fn garbage_is_never_taken_for_a_reply() {
    let mut r: &[u8] = b"Fxx\n.\n";
    assert!(matches!(
        block(files(&mut r, &paths(&["/a", "/b"]))),
        Err(ProtocolError::Garbled(_))
    ));
    let mut r: &[u8] = b"Ff\n81a4 0 0 three root root\n.\n";
    assert!(matches!(
        block(files(&mut r, &paths(&["/a"]))),
        Err(ProtocolError::Garbled(_))
    ));
    let mut r: &[u8] = b"Ff\n.\n";
    assert!(matches!(
        block(files(&mut r, &paths(&["/a"]))),
        Err(ProtocolError::Garbled(_))
    ));
    let mut r: &[u8] = b"Xnope\n";
    assert!(matches!(
        block(finished(&mut r)),
        Err(ProtocolError::Garbled(_))
    ));
}
