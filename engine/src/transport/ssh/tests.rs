//! The ssh transport against a real sshd on loopback (see sshd.rs, which
//! says what these tests need of the machine).

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::sshd::{closed_port, Sshd};
use super::*;
use crate::transport::held::killed_on_timeout;
use crate::transport::FileKind;

async fn connect(sshd: &Sshd, extra: &str) -> Ssh {
    Ssh::connect(&sshd.host(extra), 10).await.expect("connects")
}

/// Why connecting with `extra` in the roster entry fails.
async fn refused(sshd: &Sshd, extra: &str) -> TransportError {
    Ssh::connect(&sshd.host(extra), 10)
        .await
        .err()
        .expect("a refusal")
}

fn write(path: &str, content: &[u8]) -> WriteFile {
    WriteFile {
        path: path.to_string(),
        content: content.to_vec(),
        user: None,
        group: None,
        mode: None,
        makedirs: false,
    }
}

fn run(cmd: &str) -> Exec {
    Exec::new(cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_reports_code_output_env_cwd_user_and_stdin() {
    let sshd = Sshd::start();
    let ssh = connect(&sshd, "").await;

    let out = ssh
        .exec(&run("echo out; echo err >&2; exit 3"))
        .await
        .unwrap();
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (3, "out\n", "err\n")
    );
    assert!(out.pid.is_some_and(|p| p > 1));

    let mut e = run("printf '%s|%s' \"$GREETING\" \"$OTHER\"");
    e.env
        .push(("GREETING".into(), "it's $HOME `x`\nline 2".into()));
    e.env.push(("OTHER".into(), "a b".into()));
    assert_eq!(
        ssh.exec(&e).await.unwrap().stdout,
        "it's $HOME `x`\nline 2|a b"
    );

    let dir = sshd.path("a dir with 'quotes' and $x");
    std::fs::create_dir(&dir).unwrap();
    let out = ssh
        .exec(&run("pwd").cwd(Some(dir.to_str().unwrap())))
        .await
        .unwrap();
    assert_eq!(out.stdout_trimmed(), dir.to_str().unwrap());
    let out = ssh
        .exec(&run("pwd").cwd(Some("/no/such/dir")))
        .await
        .unwrap();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("/no/such/dir"), "{}", out.stderr);

    let out = ssh
        .exec(&run("id -un; pwd").runas(Some("nobody")))
        .await
        .unwrap();
    assert_eq!(out.stdout.lines().next(), Some("nobody"), "{out:?}");
    let out = ssh.exec(&run("id -un")).await.unwrap();
    assert_eq!(out.stdout, "root\n");

    let out = ssh
        .exec(&run("tr a-z A-Z; echo").stdin("hello\nworld"))
        .await
        .unwrap();
    assert_eq!(out.stdout, "HELLO\nWORLD\n");
    let out = ssh
        .exec(&run("wc -c").stdin(vec![0u8, 1, 2, 0, 255]))
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "5");
    // Without stdin, a command reads nothing (not the agent's requests).
    let out = ssh.exec(&run("cat; echo done")).await.unwrap();
    assert_eq!(out.stdout, "done\n");

    // Arbitrary bytes, NUL included, come back as they are (lossy as text).
    let out = ssh
        .exec(&run(r"printf 'a\000b\377c'; printf '\000' >&2"))
        .await
        .unwrap();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("a\0b\u{fffd}c", "\0")
    );
    let out = ssh
        .exec(&run(
            "head -c 200000 /dev/zero | tr '\\0' x; echo; echo e >&2",
        ))
        .await
        .unwrap();
    assert_eq!((out.stdout.len(), out.stderr.as_str()), (200_001, "e\n"));
    assert!(out.stdout.starts_with("xxx") && out.stdout.ends_with("x\n"));
    let out = ssh
        .exec(&run(r"printf 'no newline at the end\r'"))
        .await
        .unwrap();
    assert_eq!(out.stdout, "no newline at the end\r");

    // What a command leaves running may write on; that reaches no one. The
    // call does not wait for it (it waits on fifo `a` for the next command),
    // and it writes while the next command runs (which waits on `b` until
    // it has).
    let (a, b) = (sshd.path("a"), sshd.path("b"));
    let (a, b) = (
        shell::quote(&a.display().to_string()),
        shell::quote(&b.display().to_string()),
    );
    let out = ssh
        .exec(&run(&format!(
            "mkfifo {a} {b}; (cat {a} >/dev/null; echo late; echo late >&2; : >{b}) & echo now"
        )))
        .await
        .unwrap();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("now\n", ""));
    let out = ssh
        .exec(&run(&format!(": >{a}; cat {b} >/dev/null; echo next")))
        .await
        .unwrap();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("next\n", ""));
    ssh.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_with_any_name_and_content_round_trip() {
    let sshd = Sshd::start();
    let ssh = connect(&sshd, "").await;
    let dir = sshd.path("sub dir");
    std::fs::create_dir(&dir).unwrap();
    let path = format!("{}/it's a \"$file\" `x`\nnew line", dir.display());
    let content = b"key = 'va$lue' \"q\" `b`\n\0binary\0\xff\xfe\nno newline at end".to_vec();
    ssh.write_file(&write(&path, &content)).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), content);

    let empty = format!("{}/empty", dir.display());
    ssh.write_file(&write(&empty, b"")).await.unwrap();
    let link = format!("{}/link", dir.display());
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let asked = vec![
        path.clone(),
        format!("{}/missing", dir.display()),
        dir.display().to_string(),
        empty.clone(),
        link.clone(),
        format!("{path}/under a file"),
        "/dev/null".to_string(),
    ];
    let facts = ssh.read_files(&asked).await.unwrap();
    let kinds: Vec<FileKind> = facts.iter().map(|f| f.kind).collect();
    use FileKind::*;
    assert_eq!(
        kinds,
        [File, Missing, Directory, File, Symlink, Missing, Other]
    );
    assert_eq!(facts[0].content.as_deref(), Some(&content[..]));
    assert_eq!(
        (facts[0].size, facts[0].mode),
        (content.len() as u64, 0o644)
    );
    assert_eq!(
        (facts[0].user.as_str(), facts[0].group.as_str()),
        ("root", "root")
    );
    assert_eq!(facts[0].path, path);
    assert_eq!(facts[3].content.as_deref(), Some(&b""[..]));
    assert_eq!(facts[4].content, None);
    assert_eq!(facts[2].content, None);

    // Nothing but the files themselves is left in the directory.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["empty", "it's a \"$file\" `x`\nnew line", "link"]);
    ssh.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_set_or_keep_owner_and_mode_and_need_a_parent() {
    let sshd = Sshd::start();
    let ssh = connect(&sshd, "").await;
    let path = sshd.path("owned").display().to_string();
    let mut w = write(&path, b"one\n");
    w.user = Some("nobody".into());
    w.group = Some("nogroup".into());
    w.mode = Some(0o640);
    ssh.write_file(&w).await.unwrap();
    let fact = &ssh.read_files(std::slice::from_ref(&path)).await.unwrap()[0];
    assert_eq!(
        (fact.user.as_str(), fact.group.as_str(), fact.mode),
        ("nobody", "nogroup", 0o640)
    );

    // Not asked: the replaced file's owner and mode stay.
    ssh.write_file(&write(&path, b"two\n")).await.unwrap();
    let fact = &ssh.read_files(std::slice::from_ref(&path)).await.unwrap()[0];
    assert_eq!(
        (fact.user.as_str(), fact.group.as_str(), fact.mode),
        ("nobody", "nogroup", 0o640)
    );
    assert_eq!(fact.content.as_deref(), Some(&b"two\n"[..]));

    // Only the group asked: the user stays.
    let mut w = write(&path, b"three\n");
    w.group = Some("root".into());
    ssh.write_file(&w).await.unwrap();
    let fact = &ssh.read_files(std::slice::from_ref(&path)).await.unwrap()[0];
    assert_eq!(
        (fact.user.as_str(), fact.group.as_str(), fact.mode),
        ("nobody", "root", 0o640)
    );

    let mut w = write(&path, b"x");
    w.user = Some("no-such-user-here".into());
    let err = ssh.write_file(&w).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{path}: User no-such-user-here is not available")
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"three\n");

    let deep = sshd.path("a/b/c/file").display().to_string();
    let err = ssh.write_file(&write(&deep, b"x")).await.unwrap_err();
    assert_eq!(
        err,
        TransportError::Io {
            path: deep.clone(),
            message: "Parent directory not present".into()
        }
    );
    let mut w = write(&deep, b"x");
    w.makedirs = true;
    ssh.write_file(&w).await.unwrap();
    assert_eq!(std::fs::read(&deep).unwrap(), b"x");
    let fact = &ssh.read_files(&[deep]).await.unwrap()[0];
    assert_eq!(fact.mode, 0o644);

    // A directory in the way is not written into.
    let err = ssh
        .write_file(&write(&sshd.path("a").display().to_string(), b"x"))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Io { .. }), "{err}");
    assert!(sshd.path("a/b").is_dir());

    // Failures leave no temporary file behind, and the agent in step.
    let leftovers: Vec<_> = std::fs::read_dir(sshd.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("converge"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(ssh.exec(&run("echo ok")).await.unwrap().stdout, "ok\n");
    ssh.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_host_key_is_refused() {
    let sshd = Sshd::start();
    let wrong = sshd.path("wrong_known_hosts");
    let err = refused(&sshd, &format!("known_hosts_file: {}", wrong.display())).await;
    assert_eq!(
        err,
        TransportError::Connect(format!(
            "Host key verification failed: the host key of [127.0.0.1]:{} has changed",
            sshd.port
        ))
    );
    let empty = sshd.path("empty_known_hosts");
    let err = refused(&sshd, &format!("known_hosts_file: {}", empty.display())).await;
    assert!(
        err.to_string()
            .contains("Host key verification failed: no host key is known"),
        "{err}"
    );
    assert_eq!(sshd.logins(), 0);

    // accept-new learns it; off does not care.
    let learn = sshd.path("learned_known_hosts");
    let host = sshd.host(&format!(
        "known_hosts_file: {}\nhost_key_check: accept-new",
        learn.display()
    ));
    Ssh::connect(&host, 10).await.unwrap().close().await;
    assert!(std::fs::metadata(&learn).unwrap().len() > 0);
    let host = sshd.host(&format!(
        "known_hosts_file: {}\nhost_key_check: false",
        wrong.display()
    ));
    Ssh::connect(&host, 10).await.unwrap().close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_and_a_closed_port_fail_with_sshs_reason() {
    let sshd = Sshd::start();
    let other = sshd.path("other_key");
    let err = refused(&sshd, &format!("priv: {}", other.display())).await;
    assert_eq!(
        err,
        TransportError::Connect("root@127.0.0.1: Permission denied (publickey)".into())
    );

    // ssh's own refusal, at once: not a wait for the connect timeout
    // (which would say "no login within" or "timed out").
    let port = closed_port();
    let err = refused(&sshd, &format!("port: {port}")).await;
    assert_eq!(
        err,
        TransportError::Connect(format!(
            "connect to host 127.0.0.1 port {port}: Connection refused"
        ))
    );
    assert_eq!(sshd.logins(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_timeout_kills_its_group_and_the_next_command_works() {
    let sshd = Sshd::start();
    let ssh = connect(&sshd, "").await;
    // The command and both sleeps go with its process group (the sshd is
    // on this machine, so the fifo is shared).
    let on = &ssh;
    killed_on_timeout(move |hold, seconds| async move {
        let e = run(&format!("{hold}; sleep 600 & sleep 600")).timeout(Some(seconds));
        let err = on.exec(&e).await.unwrap_err();
        assert_eq!(
            err,
            TransportError::Timeout {
                what: format!("`{}`", e.cmd),
                seconds
            }
        );
        let out = on.exec(&run("echo still here")).await.unwrap();
        assert_eq!(out.stdout, "still here\n");
    })
    .await;

    // The transport's own default applies when the command sets none.
    let short = Ssh::connect(&sshd.host(""), 1).await.unwrap();
    let err = short.exec(&run("sleep 5")).await.unwrap_err();
    assert!(
        matches!(err, TransportError::Timeout { seconds: 1, .. }),
        "{err}"
    );
    assert_eq!(short.exec(&run("echo ok")).await.unwrap().stdout, "ok\n");
    short.close().await;
    ssh.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persisted_master_is_reattached_by_the_next_connect() {
    let sshd = Sshd::start();
    let host = sshd.host("control_persist: 30");
    let first = Ssh::connect(&host, 10).await.unwrap();
    assert!(first.master.created);
    assert_eq!(first.exec(&run("echo 1")).await.unwrap().stdout, "1\n");
    first.close().await;
    drop(first);

    let second = Ssh::connect(&host, 10).await.unwrap();
    assert!(!second.master.created);
    assert_eq!(second.exec(&run("echo 2")).await.unwrap().stdout, "2\n");
    second.close().await;
    assert_eq!(sshd.logins(), 1, "{}", sshd.log());

    // A stale socket (its master gone) is replaced by a new master.
    stop_master(&second.master.socket).await;
    drop(std::os::unix::net::UnixListener::bind(&second.master.socket).unwrap());
    let third = Ssh::connect(&host, 10).await.unwrap();
    assert!(third.master.created);
    assert_eq!(third.exec(&run("echo 3")).await.unwrap().stdout, "3\n");
    third.close().await;
    stop_master(&third.master.socket).await;
    assert_eq!(sshd.logins(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_share_one_new_master() {
    let sshd = Sshd::start();
    let host = sshd.host("control_persist: 30");
    let (a, b) = tokio::join!(Ssh::connect(&host, 10), Ssh::connect(&host, 10));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.master.socket, b.master.socket);
    assert!(a.master.created != b.master.created);
    a.close().await;
    b.close().await;
    stop_master(&a.master.socket).await;
    assert_eq!(sshd.logins(), 1, "{}", sshd.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_commands_over_one_connection() {
    let sshd = Sshd::start();
    let ssh = connect(&sshd, "").await;
    for i in 0..50 {
        let out = ssh.exec(&run(&format!("echo {i}"))).await.unwrap();
        assert_eq!(out.stdout, format!("{i}\n"));
    }
    let agent = match &*ssh.agent.lock().await {
        Slot::Ready(a) => a.pid,
        _ => panic!("no agent"),
    };
    ssh.close().await;
    assert_eq!(sshd.logins(), 1);
    // The agent has ended, and the run-scoped master stopped listening
    // (it removes its socket before it answers).
    assert!(!std::path::Path::new(&format!("/proc/{agent}")).exists());
    assert!(!ssh.master.socket.exists(), "the master outlived close()");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_dies_fails_one_call_and_is_replaced() {
    let sshd = Sshd::start();
    let ssh = connect(&sshd, "").await;
    let dead = match &*ssh.agent.lock().await {
        Slot::Ready(a) => a.pid,
        _ => panic!("no agent"),
    };
    // The command's parent is the agent.
    let err = ssh
        .exec(&run("kill -KILL $PPID; sleep 5"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TransportError::Broken(m) if m.contains("converge's agent stopped")),
        "{err}"
    );
    assert_eq!(ssh.exec(&run("echo back")).await.unwrap().stdout, "back\n");
    // Killed, it could not remove its files; the next agent did.
    let prefix = format!(".converge-agent-{dead}.");
    let left = std::fs::read_dir("/tmp")
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(&prefix));
    assert!(!left, "/tmp/{prefix}* is still there");
    ssh.close().await;
    assert_eq!(sshd.logins(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_fails_this_and_every_later_call() {
    let sshd = Sshd::start();
    let ssh = connect(&sshd, "").await;
    assert!(ssh.exec(&run("true")).await.is_ok());
    let pid = master_pid(&ssh.master.socket);
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    let err = ssh.exec(&run("echo hi")).await.unwrap_err();
    assert!(
        matches!(&err, TransportError::Broken(m) if m.contains("ssh connection to root@127.0.0.1")),
        "{err}"
    );
    // Taken as gone for good: the next call fails with the same words at
    // once, without trying to start an agent again.
    assert!(matches!(&*ssh.agent.lock().await, Slot::Dead(_)));
    let again = ssh
        .read_files(&["/etc/hostname".to_string()])
        .await
        .unwrap_err();
    assert_eq!(again, err);
    ssh.close().await;
}

/// The pid of the master behind `socket`, as `ssh -O check` tells it.
fn master_pid(socket: &std::path::Path) -> i32 {
    let out = std::process::Command::new("ssh")
        .arg("-S")
        .arg(socket)
        .args(["-O", "check", "x"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let pid = text
        .split("pid=")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or_default();
    pid.parse().unwrap_or_else(|_| panic!("no master: {text}"))
}

/// Make the master behind `socket` stop listening: it removes the socket
/// before it answers, and ends with its last channel.
async fn stop_master(socket: &std::path::Path) {
    let s = Session::resume_mux(socket.to_path_buf().into_boxed_path(), None);
    s.close().await.expect("the master stops listening");
    assert!(!socket.exists(), "{} is still there", socket.display());
}

/// Timings for the report: `cargo test -p converge-engine --lib
/// measure_against_a_real_sshd -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn measure_against_a_real_sshd() {
    println!("-- root's own environment (its ~/.bashrc runs for every new channel)");
    measure(Sshd::start()).await;
    let home = tempfile::tempdir().unwrap();
    println!("-- an empty HOME (a plain account)");
    measure(Sshd::start_with(&format!(
        "SetEnv HOME={}\n",
        home.path().display()
    )))
    .await;
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `n` calls of `call`, one after the other: the time one takes on average.
async fn each<F: std::future::Future<Output = ()>>(
    n: u32,
    mut call: impl FnMut(u32) -> F,
) -> String {
    let t = Instant::now();
    for i in 0..n {
        call(i).await;
    }
    ms(t.elapsed() / n)
}

async fn measure(sshd: Sshd) {
    let host = sshd.host("control_persist: 30");

    let t = Instant::now();
    let ssh = Ssh::connect(&host, 10).await.unwrap();
    println!("connect, new master + agent: {}", ms(t.elapsed()));
    ssh.close().await;
    drop(ssh);
    let t = Instant::now();
    let ssh = Ssh::connect(&host, 10).await.unwrap();
    println!("connect, re-attach + agent:  {}", ms(t.elapsed()));
    assert!(!ssh.master.created);
    let s = &ssh;

    let n = 200;
    let took = each(n, |_| async move {
        s.exec(&run("true")).await.unwrap();
    });
    println!("exec `true` via the agent:    {} each ({n})", took.await);
    let took = each(n, |_| async move {
        s.exec(&run("echo hello")).await.unwrap();
    });
    println!("exec `echo hello` via agent:  {} each ({n})", took.await);
    let n = 20;
    let took = each(n, |_| async move {
        let line = shell::wrap(&run("true"));
        s.master.session.raw_command(line).output().await.unwrap();
    });
    println!(
        "the same as a new channel each: {} each ({n}; session.raw_command(wrap(true)).output())",
        took.await
    );

    let dir = sshd.path("many");
    std::fs::create_dir(&dir).unwrap();
    let paths: Vec<String> = (0..100)
        .map(|i| {
            let p = dir.join(format!("f{i}.conf"));
            std::fs::write(&p, format!("setting_{i} = {i}\n").repeat(20)).unwrap();
            p.display().to_string()
        })
        .collect();
    let paths = &paths;
    let n = 20;
    let took = each(n, |_| async move {
        assert_eq!(s.read_files(paths).await.unwrap().len(), 100);
    });
    println!("read_files, 100 files:        {} each ({n})", took.await);
    let took = each(n, |_| async move {
        s.read_files(&paths[..1]).await.unwrap();
    });
    println!("read_files, 1 file:           {} each ({n})", took.await);

    let n = 50;
    let target = &dir.join("written.conf").display().to_string();
    let took = each(n, |i| async move {
        s.write_file(&write(target, format!("x = {i}\n").as_bytes()))
            .await
            .unwrap();
    });
    println!("write_file, new content:      {} each ({n})", took.await);
    let mut w = write(target, b"owned\n");
    w.user = Some("nobody".into());
    w.group = Some("nogroup".into());
    w.mode = Some(0o640);
    let w = &w;
    let took = each(n, |_| async move {
        s.write_file(w).await.unwrap();
    });
    println!("write_file, owner and mode:   {} each ({n})", took.await);
    let big = vec![b'x'; 4 << 20];
    let t = Instant::now();
    ssh.write_file(&write(target, &big)).await.unwrap();
    println!("write_file, 4 MiB:            {}", ms(t.elapsed()));
    let t = Instant::now();
    ssh.read_files(std::slice::from_ref(target)).await.unwrap();
    println!("read_files, 4 MiB:            {}", ms(t.elapsed()));

    ssh.close().await;
    stop_master(&ssh.master.socket).await;
}

#[test]
fn the_roster_timeout_bounds_a_connect_with_a_stale_master() {
    // (seconds a master found alive gets, seconds a new master gets after)
    assert_eq!(shares(1), (1, 1));
    assert_eq!(shares(3), (1, 2));
    assert_eq!(shares(10), (3, 7));
    assert_eq!(shares(60), (3, 57));
}
