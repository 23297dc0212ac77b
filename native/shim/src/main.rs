//! `wassette-shim`: the stdio front of the per-user Wassette daemon.
//!
//! An MCP client starts one server process per session. The shim connects that session's stdin and
//! stdout to a long-running server (one per user and configuration) over a Unix socket in a
//! directory only the user can open, starting the server first when none runs. After a one-line
//! handshake (the session's arguments, working directory and environment) the shim hands its stdin,
//! stdout and stderr to the daemon (`SCM_RIGHTS`), which then reads the client's requests and writes
//! its answers itself, and waits for the daemon's line with the session's exit status. When the
//! descriptors cannot be passed (or `WASSETTE_DAEMON_RELAY=1`) it relays the bytes instead: stdin
//! to the daemon untouched, the daemon's frames to stdout and stderr. Whenever the daemon cannot be
//! used, the shim runs the server in this process instead (`exec`), so a client always gets a server.
//!
//! Invoked by the `wassette` launcher, never by hand:
//!   wassette-shim IDENTITY JAVA_COMMAND... -- RUN_ARGS...
//! IDENTITY names the build (jar, JDK, JVM options): another build gets another daemon.
//! `JAVA_COMMAND... daemon --socket PATH` starts the daemon; `JAVA_COMMAND... run RUN_ARGS...`
//! is the fallback.

mod early;

use sha2::{Digest, Sha256};
use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::sync::atomic::{AtomicBool, Ordering};
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Set by the launcher: its path, the jar, then the sources the jar is built from, one per line.
const STALE_CHECK: &str = "WASSETTE_SHIM_STALE_CHECK";
/// Version of the handshake; the daemon refuses others. Its optional `stdio` field, absent in older
/// builds, means the relay when absent on either side.
const PROTOCOL: u64 = 1;
/// Set (to anything but `0`): relay the session's bytes instead of passing the descriptors.
const FORCE_RELAY: &str = "WASSETTE_DAEMON_RELAY";
/// The message that a killed or stopped daemon leaves its sessions with.
const DAEMON_ENDED: &str = "the daemon ended the session (it stopped or was killed)";
/// How long a daemon being started may take to accept (a first start may also record the AOT cache).
/// Levels of the shim's own lines, named as the server's log names them (java.util.logging).
const INFO: &str = "INFO";
const WARNING: &str = "WARNING";
const SEVERE: &str = "SEVERE";
/// Whether the session asked for JSON log lines (`--log-format json`, or WASSETTE_LOG_FORMAT=json).
static JSON_LOG: OnceLock<bool> = OnceLock::new();

/// One line of the shim's own on stderr, in the session's log format: `wassette: MESSAGE`, or one
/// JSON object with the fields of the server's JSON lines (time, level, logger, message).
fn report(level: &str, message: &str) {
    if *JSON_LOG.get().unwrap_or(&false) {
        let line = serde_json::json!({"time": utc_now(), "level": level, "logger": "wassette-shim", "message": message});
        eprintln!("{line}");
    } else {
        eprintln!("wassette: {message}");
    }
}

fn wants_json_log(run_args: &[String]) -> bool {
    let mut args = run_args.iter();
    while let Some(a) = args.next() {
        if a == "--log-format" {
            return args.next().is_some_and(|v| v == "json");
        }
        if let Some(v) = a.strip_prefix("--log-format=") {
            return v == "json";
        }
    }
    std::env::var("WASSETTE_LOG_FORMAT").is_ok_and(|v| v == "json")
}

/// Now as ISO-8601 in UTC with nanoseconds, as the server writes its times (`2026-11-26T05:33:29.293765647Z`).
fn utc_now() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    iso_utc(now.as_secs(), now.subsec_nanos())
}

fn iso_utc(epoch_secs: u64, nanos: u32) -> String {
    let (days, secs) = ((epoch_secs / 86_400) as i64, epoch_secs % 86_400);
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar), by 400-year eras.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60,
        nanos
    )
}

const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the daemon may take to answer the handshake (the first session opens the component store).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// Environment variables that select the configuration, so they are part of the daemon's key.
const CONFIG_VARIABLES: &[&str] = &["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"];

#[derive(Clone)]
struct Invocation {
    identity: String,
    java: Vec<String>,
    run_args: Vec<String>,
}

fn main() -> ExitCode {
    open_missing_stdio();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(invocation) = invocation(argv) else {
        eprintln!("wassette-shim: usage: wassette-shim IDENTITY JAVA_COMMAND... -- RUN_ARGS... (run by the wassette launcher)");
        return ExitCode::from(2);
    };
    JSON_LOG.get_or_init(|| wants_json_log(&invocation.run_args));
    if let Some(check) = std::env::var_os(STALE_CHECK) {
        // SAFETY: no other thread exists yet. Removed so that neither the daemon nor a session sees it.
        unsafe { std::env::remove_var(STALE_CHECK) };
        let check = check.to_string_lossy().into_owned();
        let mut lines = check.lines();
        if let (Some(launcher), Some(jar)) = (lines.next(), lines.next()) {
            if newer_than(Path::new(jar), lines.map(Path::new)) {
                // A source changed since the jar was built: the launcher rebuilds, then comes back.
                let error = Command::new(launcher).arg("run").args(&invocation.run_args).env("WASSETTE_LAUNCHER_CHECK", "1").exec();
                report(SEVERE, &format!("cannot run {launcher}: {error}"));
                return ExitCode::from(1);
            }
        }
    }
    match serve(&invocation) {
        Ok(code) => code,
        Err(Fallback(why)) => {
            report(WARNING, &format!("{why}; running the server in this process instead"));
            let error = Command::new(&invocation.java[0])
                .args(&invocation.java[1..])
                .arg("run")
                .args(&invocation.run_args)
                .exec();
            report(SEVERE, &format!("cannot start {}: {error}", invocation.java[0]));
            ExitCode::from(1)
        }
    }
}

/// Opens /dev/null on whichever of descriptors 0, 1 and 2 the client left closed, before anything
/// else is opened: otherwise the daemon's socket could become this process's "stdin" (the lowest
/// free number) and be read or passed as the client's. (Rust's runtime does the same on Linux
/// today, as an undocumented detail; this does not depend on it.)
fn open_missing_stdio() {
    for fd in 0..=2 {
        // SAFETY: F_GETFD only reads the descriptor's flags; open is given a NUL-terminated path.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                let opened = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if opened >= 0 && opened != fd {
                    libc::dup2(opened, fd);
                    libc::close(opened);
                }
            }
        }
    }
}

/// Whether a file under `sources` (files or directory trees) was modified after `jar` (or `jar` is gone).
fn newer_than<'a>(jar: &Path, sources: impl Iterator<Item = &'a Path>) -> bool {
    let Ok(built) = fs::metadata(jar).and_then(|m| m.modified()) else {
        return true;
    };
    fn walk(path: &Path, built: std::time::SystemTime) -> bool {
        let Ok(meta) = fs::metadata(path) else {
            return false;
        };
        if meta.is_dir() {
            fs::read_dir(path)
                .map(|entries| entries.flatten().any(|e| walk(&e.path(), built)))
                .unwrap_or(false)
        } else {
            meta.modified().map(|m| m > built).unwrap_or(false)
        }
    }
    sources.into_iter().any(|s| walk(s, built))
}

fn invocation(mut argv: Vec<String>) -> Option<Invocation> {
    let separator = argv.iter().position(|a| a == "--")?;
    let run_args = argv.split_off(separator + 1);
    argv.pop();
    if argv.len() < 2 {
        return None;
    }
    let identity = argv.remove(0);
    Some(Invocation { identity, java: argv, run_args })
}

/// Why the daemon is not used for this session; nothing has been read from stdin or written to stdout.
struct Fallback(String);

impl From<io::Error> for Fallback {
    fn from(e: io::Error) -> Self {
        Fallback(e.to_string())
    }
}

fn serve(invocation: &Invocation) -> Result<ExitCode, Fallback> {
    let dir = runtime_directory()?;
    let key = key(invocation);
    let socket = dir.join(format!("{key}.sock"));
    if socket.as_os_str().len() > 107 {
        return Err(Fallback(format!("the socket path {} is longer than Unix sockets allow", socket.display())));
    }
    // What the shim answered while the daemon started. Once stdin has been read from, the session
    // can only go to a daemon: the fallback in this process would not see those messages.
    let mut early_input: Option<early::Input> = None;
    let unless_answered_early = |early_input: &Option<early::Input>, Fallback(why): Fallback| {
        if early_input.is_some() {
            report(SEVERE, &format!("{why}; this session's first requests were answered while the daemon started, so no other server can take it over"));
            Ok(ExitCode::from(1))
        } else {
            Err(Fallback(why))
        }
    };
    for attempt in 0..3 {
        let started = match UnixStream::connect(&socket) {
            Ok(stream) => Ok(stream),
            // No daemon runs: it is started, and the first answers come from the last one's file (if any).
            Err(_) => match (attempt == 0 && early::wanted()).then(|| early::Answers::load(&dir, &key)).flatten() {
                Some(answers) => {
                    let (started, input) = start_daemon_answering(invocation, &dir, &key, &socket, &answers);
                    early_input = Some(input);
                    started
                }
                None => start_daemon(invocation, &dir, &key, &socket),
            },
        };
        let stream = match started {
            Ok(stream) => stream,
            Err(failed) => return unless_answered_early(&early_input, failed),
        };
        let said = match handshake(stream, &invocation.run_args, early_input.as_ref()) {
            Ok(said) => said,
            Err(failed) => return unless_answered_early(&early_input, failed),
        };
        match said {
            Handshake::Accepted { stream, reader, pid, pass_stdio } => {
                report(
                    INFO,
                    &format!("this session is served by the per-user daemon (pid {pid}; its log: {})", dir.join(format!("{key}.log")).display()),
                );
                if !pass_stdio {
                    return Ok(relay(stream, reader));
                }
                if let Err(e) = pass_stdio_to(&stream) {
                    if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) {
                        report(SEVERE, DAEMON_ENDED);
                        return Ok(ExitCode::from(1));
                    }
                    // The byte without the descriptors: the daemon answers that it relays.
                    let _ = (&stream).write_all(&[STDIO_BYTE]);
                }
                return Ok(await_end(stream, reader));
            }
            Handshake::Refused { message, exit } => {
                report(if exit == 0 { INFO } else { SEVERE }, &message);
                return Ok(ExitCode::from(exit));
            }
            // The daemon's configuration is out of date (a config file changed): it has stopped
            // accepting; start a current one.
            Handshake::Retired => continue,
        }
    }
    unless_answered_early(&early_input, Fallback("the daemon kept retiring".into()))
}

/// Starts the daemon on another thread and meanwhile answers what the session asks first from
/// `answers`; returns the daemon's connection (or why there is none) and what was read and answered.
fn start_daemon_answering(
    invocation: &Invocation,
    dir: &Path,
    key: &str,
    socket: &Path,
    answers: &early::Answers,
) -> (Result<UnixStream, Fallback>, early::Input) {
    // The thread's end of this pair closes when it is done: the shim's end becomes readable.
    let (ready, done) = match UnixStream::pair() {
        Ok(pair) => pair,
        Err(e) => return (Err(e.into()), early::Input::default()),
    };
    let (invocation, dir, key, socket) = (invocation.clone(), dir.to_path_buf(), key.to_string(), socket.to_path_buf());
    let starting = thread::spawn(move || {
        let started = start_daemon(&invocation, &dir, &key, &socket);
        drop(done);
        started
    });
    let input = early::answer_until(answers, &ready);
    let started = starting.join().unwrap_or_else(|_| Err(Fallback("starting the daemon failed".into())));
    (started, input)
}

/// `$XDG_RUNTIME_DIR/wassette`, else `/tmp/wassette-UID`: created 0700, and refused unless it is a
/// directory of this user that nobody else can open.
fn runtime_directory() -> Result<PathBuf, Fallback> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| Path::new(d).is_absolute()) {
        Some(base) => PathBuf::from(base).join("wassette"),
        None => PathBuf::from(format!("/tmp/wassette-{uid}")),
    };
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Fallback(format!("cannot create {}: {e}", dir.display()))),
    }
    let meta = fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(Fallback(format!(
            "{} is not a private directory of this user (owner {}, mode {:o})",
            dir.display(),
            meta.uid(),
            meta.mode() & 0o7777
        )));
    }
    Ok(dir)
}

/// Sessions with the same build, arguments and configuration variables share a daemon. The log
/// format is left out: the daemon formats each session's lines as that session asked.
fn key(invocation: &Invocation) -> String {
    let mut hash = Sha256::new();
    let mut field = |s: &str| {
        hash.update((s.len() as u64).to_le_bytes());
        hash.update(s.as_bytes());
    };
    field(&invocation.identity);
    let mut args = invocation.run_args.iter();
    while let Some(a) = args.next() {
        if a == "--log-format" {
            args.next();
        } else if !a.starts_with("--log-format=") {
            field(a);
        }
    }
    field("");
    let mut config: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| {
            CONFIG_VARIABLES.contains(&k.as_str())
                || (k.starts_with("WASSETTE_") && !k.starts_with("WASSETTE_DAEMON") && k != "WASSETTE_LOG_FORMAT")
        })
        .collect();
    config.sort();
    for (k, v) in &config {
        field(k);
        field(v);
    }
    hash.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts the daemon under an exclusive lock (so concurrent shims start one), and connects to it.
fn start_daemon(invocation: &Invocation, dir: &Path, key: &str, socket: &Path) -> Result<UnixStream, Fallback> {
    let lock = OpenOptions::new().create(true).truncate(false).write(true).mode(0o600).open(dir.join(format!("{key}.lock")))?;
    lock.lock()?; // released when `lock` is dropped, or by the kernel if this process dies
    if let Ok(stream) = UnixStream::connect(socket) {
        return Ok(stream); // another shim started it while this one waited
    }
    match fs::remove_file(socket) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(Fallback(format!("cannot remove the stale socket {}: {e}", socket.display()))),
    }
    let log_path = dir.join(format!("{key}.log"));
    rotate(&log_path);
    let log = OpenOptions::new().create(true).append(true).mode(0o600).open(&log_path)?;
    // The daemon holds the write end of this pipe (inherited, never closed) for its whole life, so
    // end of file on the read end means it has exited: how the shim learns that a daemon it does not
    // parent died before accepting.
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error().into());
    }
    let (alive_read, alive_write) = (fds[0], fds[1]);
    let mut command = Command::new(&invocation.java[0]);
    command
        .args(&invocation.java[1..])
        .arg("daemon")
        .arg("--socket")
        .arg(socket)
        .current_dir("/") // keeps no directory of the first session busy
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: only async-signal-safe calls between fork and exec. The child forks again and exits,
    // so the daemon is nobody's child but init's: it never lingers as a zombie of this shim, and is
    // not part of the client's process tree. setsid takes it out of the client's session and
    // terminal, so signals meant for the client (Ctrl-C in its terminal) do not reach it.
    unsafe {
        command.pre_exec(move || {
            match libc::fork() {
                -1 => return Err(io::Error::last_os_error()),
                0 => {}
                _ => libc::_exit(0),
            }
            libc::setsid();
            let flags = libc::fcntl(alive_write, libc::F_GETFD);
            libc::fcntl(alive_write, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            Ok(())
        });
    }
    let spawned = command.spawn();
    // SAFETY: our copy of the write end; the daemon has its own.
    unsafe { libc::close(alive_write) };
    let mut intermediate = spawned.map_err(|e| Fallback(format!("cannot start the daemon ({}): {e}", invocation.java[0])))?;
    let _ = intermediate.wait(); // exits at once, after forking the daemon
    let deadline = Instant::now() + START_TIMEOUT;
    let result = loop {
        if let Ok(stream) = UnixStream::connect(socket) {
            break Ok(stream);
        }
        if exited(alive_read) {
            break Err(Fallback(format!("the daemon exited before accepting{}", log_tail(&log_path))));
        }
        if Instant::now() > deadline {
            break Err(Fallback(format!("the daemon did not accept within {} s{}", START_TIMEOUT.as_secs(), log_tail(&log_path))));
        }
        thread::sleep(Duration::from_millis(5));
    };
    // SAFETY: closing our own descriptor once.
    unsafe { libc::close(alive_read) };
    result
}

/// Whether every holder of the pipe's write end (the daemon) is gone.
fn exited(alive_read: libc::c_int) -> bool {
    let mut poll = libc::pollfd { fd: alive_read, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, no waiting.
    let ready = unsafe { libc::poll(&mut poll, 1, 0) };
    ready > 0 && poll.revents & (libc::POLLHUP | libc::POLLIN) != 0
}

/// Keeps the daemon log (appended to by each daemon of this key) from growing without end.
fn rotate(log: &Path) {
    if fs::metadata(log).map(|m| m.len() > 4 << 20).unwrap_or(false) {
        let _ = fs::rename(log, log.with_extension("log.1"));
    }
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(10)..].join("\n  ");
    if tail.is_empty() { String::new() } else { format!("; its log {} ends with:\n  {tail}\n", path.display()) }
}

enum Handshake {
    /// `pass_stdio`: the daemon takes the session's descriptors; else it relays.
    Accepted { stream: UnixStream, reader: BufReader<UnixStream>, pid: u64, pass_stdio: bool },
    Refused { message: String, exit: u8 },
    Retired,
}

/// Sends the session's arguments, working directory and environment; reads the daemon's one-line answer.
fn handshake(mut stream: UnixStream, run_args: &[String], early_input: Option<&early::Input>) -> Result<Handshake, Fallback> {
    let cwd = std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into());
    let env: serde_json::Map<String, serde_json::Value> =
        std::env::vars_os().map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned().into())).collect();
    let mut hello = serde_json::json!({
        "wassette": "session",
        "protocol": PROTOCOL,
        "args": run_args,
        "cwd": cwd,
        "env": env,
        "stdio": if can_pass_stdio() { "pass" } else { "relay" },
    });
    if let Some(input) = early_input {
        hello["early"] = input.handshake_field();
    }
    let mut line = serde_json::to_vec(&hello).map_err(|e| Fallback(e.to_string()))?;
    line.push(b'\n');
    // The input the shim read follows the line: the daemon's session reads it first.
    if let Some(input) = early_input {
        line.extend_from_slice(&input.replay);
    }
    stream.write_all(&line)?;
    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut answer = String::new();
    if reader.read_line(&mut answer)? == 0 {
        return Ok(Handshake::Retired); // closed before answering: it was shutting down
    }
    stream.set_read_timeout(None)?;
    reader.get_ref().set_read_timeout(None)?;
    let answer: serde_json::Value =
        serde_json::from_str(&answer).map_err(|e| Fallback(format!("the daemon answered the handshake with {e}")))?;
    if answer["ok"].as_bool() == Some(true) {
        let pid = answer["pid"].as_u64().unwrap_or(0);
        let pass_stdio = answer["stdio"].as_str() == Some("pass");
        return Ok(Handshake::Accepted { stream, reader, pid, pass_stdio });
    }
    if answer["retry"].as_bool() == Some(true) {
        return Ok(Handshake::Retired);
    }
    let message = answer["message"].as_str().unwrap_or("the daemon refused the session").to_string();
    let exit = answer["exit"].as_u64().unwrap_or(1).min(255) as u8;
    Ok(Handshake::Refused { message, exit })
}

/// The byte that carries the descriptors (a stream socket passes them only with data); its value is not read.
const STDIO_BYTE: u8 = b'S';

/// Whether to offer the daemon this process's stdin, stdout and stderr (all three are open: see
/// `open_missing_stdio`): unless the relay is asked for.
fn can_pass_stdio() -> bool {
    !std::env::var_os(FORCE_RELAY).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Sends stdin, stdout and stderr (descriptors 0, 1, 2) to the daemon with one byte. The kernel
/// gives the daemon its own descriptors of the same open files; this process keeps its own.
fn pass_stdio_to(stream: &UnixStream) -> io::Result<()> {
    let descriptors: [libc::c_int; 3] = [0, 1, 2];
    let descriptors_len = std::mem::size_of_val(&descriptors) as libc::c_uint;
    let mut byte = [STDIO_BYTE];
    let mut data = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = [0u64; 8]; // 64 bytes, aligned for cmsghdr; CMSG_SPACE(12) is 32
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(descriptors_len) } as usize;
    assert!(space <= std::mem::size_of_val(&control));
    // SAFETY: a zeroed msghdr is valid (no name, no data, no control) before the fields are set.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut data;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = space as _;
    // SAFETY: msg_control points at `space` zeroed bytes, room for one header and three ints.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(descriptors_len) as _;
        std::ptr::copy_nonoverlapping(descriptors.as_ptr(), libc::CMSG_DATA(header).cast::<libc::c_int>(), descriptors.len());
    }
    loop {
        // SAFETY: `message` and everything it points to live until the call returns.
        if unsafe { libc::sendmsg(stream.as_raw_fd(), &message, libc::MSG_NOSIGNAL) } == 1 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// While the daemon serves the session on the passed descriptors: waits for its line with the exit
/// status (or, if the descriptors did not reach it, its word that it relays after all).
fn await_end(stream: UnixStream, mut from_daemon: BufReader<UnixStream>) -> ExitCode {
    let mut line = String::new();
    match from_daemon.read_line(&mut line) {
        Ok(_) if line.ends_with('\n') => {}
        // End of file, or a line cut off: a daemon that is killed shows as either, or as a reset.
        Ok(_) => {
            report(SEVERE, DAEMON_ENDED);
            return ExitCode::from(1);
        }
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {
            report(SEVERE, DAEMON_ENDED);
            return ExitCode::from(1);
        }
        Err(e) => {
            report(SEVERE, &format!("lost the connection to the daemon: {e}"));
            return ExitCode::from(1);
        }
    }
    let end: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    if let Some(status) = end["exit"].as_u64() {
        return ExitCode::from(status.min(255) as u8);
    }
    if end["stdio"].as_str() == Some("relay") {
        return relay(stream, from_daemon);
    }
    report(SEVERE, &format!("the daemon sent {}: the shim and the daemon are from different builds", line.trim_end()));
    ExitCode::from(1)
}

/// Passes stdin to the daemon unchanged, and the daemon's frames to stdout (channel 1) and stderr
/// (channel 2: the session's log lines), until the daemon ends the session.
fn relay(stream: UnixStream, mut from_daemon: BufReader<UnixStream>) -> ExitCode {
    let mut to_daemon = stream;
    let input_ended = Arc::new(AtomicBool::new(false));
    let ended = Arc::clone(&input_ended);
    thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    if to_daemon.write_all(&buffer[..n]).is_err() {
                        return; // the daemon is gone: the other side reports it
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        // End of input: the daemon answers what is in flight, then closes the session.
        ended.store(true, Ordering::SeqCst);
        let _ = to_daemon.shutdown(Shutdown::Write);
    });
    let mut stdout = io::stdout().lock();
    let mut stderr = io::stderr().lock();
    let mut payload = Vec::with_capacity(64 * 1024);
    loop {
        let mut header = [0u8; 5];
        match from_daemon.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof && input_ended.load(Ordering::SeqCst) => return ExitCode::SUCCESS,
            Err(e) if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset) => {
                // A daemon that is killed shows as either, depending on what was in flight.
                report(SEVERE, DAEMON_ENDED);
                return ExitCode::from(1);
            }
            Err(e) => {
                report(SEVERE, &format!("lost the connection to the daemon: {e}"));
                return ExitCode::from(1);
            }
        }
        let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        payload.resize(length, 0);
        if let Err(e) = from_daemon.read_exact(&mut payload) {
            if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset) {
                report(SEVERE, DAEMON_ENDED);
            } else {
                report(SEVERE, &format!("lost the connection to the daemon: {e}"));
            }
            return ExitCode::from(1);
        }
        match header[0] {
            1 => {
                if stdout.write_all(&payload).and_then(|()| stdout.flush()).is_err() {
                    return ExitCode::SUCCESS; // the client went away
                }
            }
            2 => {
                let _ = stderr.write_all(&payload);
            }
            other => {
                report(SEVERE, &format!("the daemon sent a frame on unknown channel {other}: the shim and the daemon are from different builds"));
                return ExitCode::from(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_utc_matches_the_calendar() {
        assert_eq!(iso_utc(0, 0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(iso_utc(951_782_400, 5), "2000-02-29T00:00:00.000000005Z"); // a leap day of a 400-year leap year
        assert_eq!(iso_utc(1_798_262_009, 293_765_647), "2026-12-26T05:13:29.293765647Z");
        assert_eq!(iso_utc(4_107_542_399, 0), "2100-02-28T23:59:59.000000000Z"); // 2100 is no leap year
    }

    #[test]
    fn the_json_log_format_is_asked_for_by_the_run_arguments() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wants_json_log(&args(&["--component-dir", "d", "--log-format", "json"])));
        assert!(wants_json_log(&args(&["--log-format=json"])));
        assert!(!wants_json_log(&args(&["--log-format", "text"])));
    }
}
