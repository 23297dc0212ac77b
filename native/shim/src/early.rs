//! Early answers: while a daemon starts (its JVM takes hundreds of milliseconds), the shim answers a
//! new session's `initialize`, `tools/list` and `ping` itself, from the file the last daemon of this
//! key wrote beside its socket (`<key>.early.json`, see the server's `EarlyAnswers`). MCP clients
//! wait for those answers before anything else; the first tool call waits for the daemon.
//!
//! The shim answers only while the component store and the configuration files are as that daemon
//! last saw them (the stamps the file records), and, for a configuration with a relative path, only
//! in the working directory it was resolved in; it stops at the first message it cannot answer, and never answers after the daemon
//! is up. Everything it read from stdin goes to the daemon first (the session's replay), with the ids
//! it answered, so the session is the daemon's as if it had read every message itself; the daemon
//! tells the client `notifications/tools/list_changed` if its tools are not the ones listed here.

use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The file format the shim reads (`EarlyAnswers.FORMAT`).
const FORMAT: u64 = 3;
/// Set to `0` (or `off`): never answer early.
pub const DISABLE: &str = "WASSETTE_DAEMON_EARLY";
/// Most input read before the daemon takes over; past it the shim stops reading (a session's first
/// messages are a few hundred bytes).
const EARLY_INPUT_LIMIT: usize = 1 << 20;

/// The answers of one daemon configuration, as the file holds them (read once).
pub struct Answers {
    /// The `tools/list` result, as the daemon wrote it.
    tools: Box<RawValue>,
    /// The digest of those tools, passed back to the daemon.
    digest: String,
    /// The protocol version answered to a client asking for one the daemon does not speak.
    latest: String,
    /// The `initialize` result for each protocol version the daemon speaks.
    results: HashMap<String, Box<RawValue>>,
}

/// Whether early answers are wanted (they are unless `WASSETTE_DAEMON_EARLY` is `0` or `off`).
pub fn wanted() -> bool {
    !std::env::var(DISABLE).is_ok_and(|v| v == "0" || v.eq_ignore_ascii_case("off"))
}

impl Answers {
    /// The file beside the socket, if it is of this format and the store and the configuration are
    /// as it records.
    pub fn load(dir: &Path, key: &str) -> Option<Answers> {
        let text = fs::read_to_string(dir.join(format!("{key}.early.json"))).ok()?;
        let mut top: HashMap<String, Box<RawValue>> = serde_json::from_str(&text).ok()?;
        let format: u64 = serde_json::from_str(top.get("format")?.get()).ok()?;
        let cwd = std::env::current_dir().ok();
        if format != FORMAT
            || !store_unchanged(top.get("store")?)
            || !configuration_unchanged(top.get("configuration")?)
            || !same_working_directory(top.get("workingDirectory")?, cwd.as_deref())
        {
            return None;
        }
        let mut initialize: HashMap<String, Box<RawValue>> = serde_json::from_str(top.get("initialize")?.get()).ok()?;
        let answers = Answers {
            digest: serde_json::from_str(top.get("toolsDigest")?.get()).ok()?,
            latest: serde_json::from_str(initialize.get("latest")?.get()).ok()?,
            results: serde_json::from_str(initialize.remove("results")?.get()).ok()?,
            tools: top.remove("tools")?,
        };
        answers.results.contains_key(&answers.latest).then_some(answers)
    }

    /// The result for a client asking for `version`: that version's if the server speaks it, else
    /// the latest's (as the MCP SDK negotiates).
    fn initialize_result(&self, version: &str) -> &RawValue {
        self.results.get(version).unwrap_or(&self.results[&self.latest])
    }
}

/// Whether `meta` has the recorded `[size, modification time in ns]`.
fn same_stamp(meta: &fs::Metadata, stamp: &Value) -> bool {
    matches!(stamp.as_array().map(Vec::as_slice), Some([size, time]) if Some(meta.len()) == size.as_u64() && Some(modified_nanos(meta)) == time.as_i64())
}

fn modified_nanos(meta: &fs::Metadata) -> i64 {
    meta.mtime() * 1_000_000_000 + meta.mtime_nsec()
}

/// Whether a session in `cwd` has the recorded configuration: one with a relative path (a store, a
/// config file …) records the directory it resolved against, and is another configuration in
/// another directory; one without records null and holds in every directory.
fn same_working_directory(recorded: &RawValue, cwd: Option<&Path>) -> bool {
    match serde_json::from_str::<Option<String>>(recorded.get()) {
        Ok(None) => true,
        Ok(Some(dir)) => cwd.is_some_and(|c| c == Path::new(&dir)),
        Err(_) => false,
    }
}

/// Whether the store directory and each file the daemon saw in it have the recorded stamps: no
/// process changed the store since. (A file added or removed changes the directory's time.)
fn store_unchanged(store: &RawValue) -> bool {
    let Ok(store) = serde_json::from_str::<Value>(store.get()) else {
        return false;
    };
    let (Some(directory), Some(files)) = (store["directory"].as_str(), store["files"].as_object()) else {
        return false;
    };
    let directory = Path::new(directory);
    match (fs::symlink_metadata(directory), &store["modified"]) {
        (Ok(meta), modified) if Some(modified_nanos(&meta)) == modified.as_i64() => {}
        // Not created yet when the daemon looked, and still not.
        (Err(e), Value::Null) if e.kind() == io::ErrorKind::NotFound => return files.is_empty(),
        _ => return false,
    }
    files.iter().all(|(name, stamp)| {
        fs::symlink_metadata(directory.join(name)).is_ok_and(|meta| meta.is_file() && same_stamp(&meta, stamp))
    })
}

/// Whether each file the daemon's configuration came from (config file, env file, manifest) has the
/// recorded stamp, or is still absent (null).
fn configuration_unchanged(configuration: &RawValue) -> bool {
    let Ok(Value::Object(files)) = serde_json::from_str::<Value>(configuration.get()) else {
        return false;
    };
    files.iter().all(|(path, stamp)| match fs::metadata(path) {
        Err(e) => stamp.is_null() && e.kind() == io::ErrorKind::NotFound,
        Ok(meta) => same_stamp(&meta, stamp),
    })
}

/// What the shim read from stdin and answered before the daemon took over.
#[derive(Default)]
pub struct Input {
    /// Every byte read from stdin, answered or not, in order: the daemon reads these first.
    pub replay: Vec<u8>,
    /// Ids of the requests answered (JSON values, as the client sent them).
    pub answered: Vec<Value>,
    /// The digest of the tools listed, if a `tools/list` was answered.
    pub tools_digest: Option<String>,
}

impl Input {
    /// The handshake's `early` field.
    pub fn handshake_field(&self) -> Value {
        serde_json::json!({"replay": self.replay.len(), "answered": self.answered, "tools": self.tools_digest})
    }
}

/// Where the session is in its opening.
#[derive(PartialEq, Clone, Copy)]
enum Stage {
    /// Nothing yet: only `initialize` is answered.
    Opening,
    /// `initialize` answered; waiting for `notifications/initialized`.
    Initializing,
    /// The client said it is initialized: `tools/list` and `ping` are answered.
    Ready,
    /// A message the shim does not answer, the end of the input, or too much input: the daemon's.
    Done,
}

/// Answers the session's first messages until `daemon_ready` (a descriptor) becomes readable.
/// Returns what was read and answered; the caller waits for the daemon if it is not up yet.
pub fn answer_until(answers: &Answers, daemon_ready: &impl AsRawFd) -> Input {
    let mut input = Input::default();
    let mut stage = Stage::Opening;
    let mut answered_up_to = 0; // input.replay[..answered_up_to] is whole lines, each handled
    let mut stdout = io::stdout().lock();
    let mut chunk = vec![0u8; 64 * 1024];
    while stage != Stage::Done {
        let mut polled = [
            libc::pollfd { fd: daemon_ready.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 },
        ];
        // SAFETY: two valid pollfds; no timeout (the daemon's start ends in the first one becoming readable).
        if unsafe { libc::poll(polled.as_mut_ptr(), 2, -1) } < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        if polled[0].revents != 0 {
            break; // the daemon is up (or failed to start): it is its session now
        }
        if polled[1].revents == 0 {
            continue;
        }
        // SAFETY: reads at most chunk.len() bytes into chunk.
        let n = unsafe { libc::read(0, chunk.as_mut_ptr().cast(), chunk.len()) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        if n == 0 {
            break; // the input ended: the daemon answers what is left and ends the session
        }
        input.replay.extend_from_slice(&chunk[..n as usize]);
        while stage != Stage::Done {
            let Some(end) = input.replay[answered_up_to..].iter().position(|&b| b == b'\n') else {
                break;
            };
            let line = &input.replay[answered_up_to..answered_up_to + end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            stage = match answer(answers, line, &stage, &mut input.answered, &mut input.tools_digest) {
                Some(Reply { next, text }) => {
                    if let Some(text) = text {
                        if stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).is_err() {
                            return input; // the client went away; the daemon finds that out too
                        }
                    }
                    next
                }
                None => Stage::Done,
            };
            if stage != Stage::Done {
                answered_up_to += end + 1;
            }
        }
        if input.replay.len() > EARLY_INPUT_LIMIT {
            break;
        }
    }
    input
}

struct Reply {
    next: Stage,
    /// The answer's line, if the message is a request.
    text: Option<String>,
}

/// The shim's answer to one line at `stage`, or None if it is the daemon's to answer.
fn answer(answers: &Answers, line: &[u8], stage: &Stage, answered: &mut Vec<Value>, tools_digest: &mut Option<String>) -> Option<Reply> {
    if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Some(Reply { next: *stage, text: None }); // the server skips blank lines too
    }
    let message: Value = serde_json::from_slice(line).ok()?;
    let object = message.as_object()?;
    if object.get("jsonrpc")?.as_str()? != "2.0" {
        return None;
    }
    let method = object.get("method")?.as_str()?;
    let id = object.get("id");
    // A request's id, as JSON-RPC allows and the server accepts: a string or an integer.
    let request_id = id.filter(|id| id.is_string() || id.is_i64() || id.is_u64());
    let params = object.get("params");
    let reply = |result: &str, id: &Value| format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{result}}}\n");
    match (stage, method) {
        (Stage::Opening, "initialize") => {
            let id = request_id?;
            let version = params?.get("protocolVersion")?.as_str()?;
            let text = reply(answers.initialize_result(version).get(), id);
            answered.push(id.clone());
            Some(Reply { next: Stage::Initializing, text: Some(text) })
        }
        // A null id is no id: the server takes the message as a notification.
        (Stage::Initializing, "notifications/initialized") if id.is_none_or(Value::is_null) => Some(Reply { next: Stage::Ready, text: None }),
        (Stage::Ready, "tools/list") => {
            let id = request_id?;
            // Only the first page: the daemon's list has one, and a cursor is the daemon's to read.
            if params.is_some_and(|p| !p.is_null() && (!p.is_object() || p.get("cursor").is_some_and(|c| !c.is_null()))) {
                return None;
            }
            let text = reply(answers.tools.get(), id);
            answered.push(id.clone());
            *tools_digest = Some(answers.digest.clone());
            Some(Reply { next: Stage::Ready, text: Some(text) })
        }
        (Stage::Ready, "ping") => {
            let id = request_id?;
            answered.push(id.clone());
            Some(Reply { next: Stage::Ready, text: Some(reply("{}", id)) })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        let raw = |text: &str| RawValue::from_string(text.to_string()).unwrap();
        Answers {
            tools: raw(r#"{"tools":[{"name":"a"}]}"#),
            digest: "d1".into(),
            latest: "2025-06-18".into(),
            results: HashMap::from([
                ("2024-11-05".to_string(), raw(r#"{"protocolVersion":"2024-11-05","x":1}"#)),
                ("2025-06-18".to_string(), raw(r#"{"protocolVersion":"2025-06-18","x":1}"#)),
            ]),
        }
    }

    fn run(lines: &[&str]) -> (Vec<Option<String>>, Vec<Value>, Option<String>, bool) {
        run_with(&answers(), lines)
    }

    /// Each line's reply text (None: nothing written) up to the first left to the daemon; the ids
    /// answered; the digest of the tools listed; whether a line was left to the daemon.
    fn run_with(answers: &Answers, lines: &[&str]) -> (Vec<Option<String>>, Vec<Value>, Option<String>, bool) {
        let mut stage = Stage::Opening;
        let (mut answered, mut digest, mut texts) = (Vec::new(), None, Vec::new());
        for line in lines {
            match answer(answers, line.as_bytes(), &stage, &mut answered, &mut digest) {
                Some(r) => {
                    texts.push(r.text);
                    stage = r.next;
                }
                None => return (texts, answered, digest, true),
            }
        }
        (texts, answered, digest, false)
    }

    #[test]
    fn the_opening_of_a_session_is_answered_and_the_rest_is_left_to_the_daemon() {
        let (texts, answered, digest, stopped) = run(&[
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":"two","method":"tools/list","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"a","arguments":{}}}"#,
        ]);
        assert!(stopped, "a tool call is the daemon's");
        assert_eq!(texts[0].as_deref(), Some("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2024-11-05\",\"x\":1}}\n"));
        assert_eq!(texts[1], None);
        assert_eq!(texts[2].as_deref(), Some("{\"jsonrpc\":\"2.0\",\"id\":\"two\",\"result\":{\"tools\":[{\"name\":\"a\"}]}}\n"));
        assert_eq!(texts[3].as_deref(), Some("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n"));
        assert_eq!(answered, vec![serde_json::json!(1), serde_json::json!("two"), serde_json::json!(3)]);
        assert_eq!(digest.as_deref(), Some("d1"));
    }

    /// The store's stamps as the daemon records them (`EarlyAnswers.storeStamp`).
    fn stamps_of(dir: &Path) -> String {
        let mut files = serde_json::Map::new();
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            files.insert(entry.file_name().to_string_lossy().into(), serde_json::json!([meta.len(), modified_nanos(&meta)]));
        }
        serde_json::json!({"directory": dir, "modified": modified_nanos(&fs::metadata(dir).unwrap()), "files": files}).to_string()
    }

    #[test]
    fn the_store_is_unchanged_only_while_the_directory_and_every_file_keep_their_stamps() {
        let dir = std::env::temp_dir().join(format!("wassette-shim-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let raw = |text: String| serde_json::value::RawValue::from_string(text).unwrap();
        // Not created yet, and still not: unchanged; created since: changed.
        let absent = raw(serde_json::json!({"directory": dir, "modified": null, "files": {}}).to_string());
        assert!(store_unchanged(&absent));
        fs::create_dir(&dir).unwrap();
        assert!(!store_unchanged(&absent));

        fs::write(dir.join("a.wasm"), b"one").unwrap();
        let recorded = raw(stamps_of(&dir));
        assert!(store_unchanged(&recorded));
        // Rewritten in place with another size: the directory's time stays, the file's stamp moves.
        fs::write(dir.join("a.wasm"), b"three").unwrap();
        assert!(!store_unchanged(&recorded));
        let recorded = raw(stamps_of(&dir));
        assert!(store_unchanged(&recorded));
        // A file added: the directory's time moves.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(dir.join("b.policy.yaml"), b"").unwrap();
        assert!(!store_unchanged(&recorded));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_configuration_resolved_in_a_working_directory_holds_only_there() {
        let raw = |text: &str| RawValue::from_string(text.to_string()).unwrap();
        let here = Some(Path::new("/work/a"));
        assert!(same_working_directory(&raw("null"), here), "no relative path: every directory");
        assert!(same_working_directory(&raw("null"), None));
        assert!(same_working_directory(&raw(r#""/work/a""#), here));
        assert!(!same_working_directory(&raw(r#""/work/b""#), here));
        assert!(!same_working_directory(&raw(r#""/work/a""#), None), "no working directory known");
        assert!(!same_working_directory(&raw("7"), here), "malformed");
    }

    #[test]
    fn the_configuration_is_unchanged_only_while_its_files_keep_their_stamps() {
        let file = std::env::temp_dir().join(format!("wassette-shim-config-{}.toml", std::process::id()));
        let _ = fs::remove_file(&file);
        let raw = |v: Value| serde_json::value::RawValue::from_string(v.to_string()).unwrap();
        let absent = raw(serde_json::json!({ file.to_string_lossy(): null }));
        assert!(configuration_unchanged(&absent));
        fs::write(&file, b"component_dir = \"/a\"\n").unwrap();
        assert!(!configuration_unchanged(&absent), "written since");
        let meta = fs::metadata(&file).unwrap();
        let recorded = raw(serde_json::json!({ file.to_string_lossy(): [meta.len(), modified_nanos(&meta)] }));
        assert!(configuration_unchanged(&recorded));
        fs::write(&file, b"component_dir = \"/bb\"\n").unwrap();
        assert!(!configuration_unchanged(&recorded), "rewritten");
        fs::remove_file(&file).unwrap();
        assert!(!configuration_unchanged(&recorded), "removed");
    }

    /// The cases EarlyResponderTest runs against `run` without the daemon: one set of rules for both.
    #[test]
    fn the_cases_shared_with_run_without_the_daemon() {
        let file: Value = serde_json::from_str(include_str!("early-cases.json")).unwrap();
        let recorded = &file["recorded"];
        // Compact, in the file's (sorted) key order: as the daemon records them, and copied as they are.
        let raw = |v: &Value| RawValue::from_string(v.to_string()).unwrap();
        let answers = Answers {
            tools: raw(&recorded["tools"]),
            digest: recorded["toolsDigest"].as_str().unwrap().into(),
            latest: recorded["latest"].as_str().unwrap().into(),
            results: recorded["results"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), raw(v))).collect(),
        };
        let strings = |v: &Value| v.as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect::<Vec<_>>();
        for case in file["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let lines = strings(&case["lines"]);
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let expected: Vec<String> = strings(&case["written"]).into_iter().map(|w| w + "\n").collect();
            let (texts, answered, digest, stopped) = run_with(&answers, &lines);
            assert_eq!(texts.into_iter().flatten().collect::<Vec<_>>(), expected, "{name}");
            assert_eq!(&answered, case["answered"].as_array().unwrap(), "{name}");
            assert_eq!(digest.is_some(), case["listed"].as_bool().unwrap(), "{name}");
            assert_eq!(stopped, case["stops"].as_bool().unwrap(), "{name}");
            for more in case.get("then each stops").map(strings).unwrap_or_default() {
                let mut with = lines.clone();
                with.push(&more);
                let (texts, answered_with, _, stopped) = run_with(&answers, &with);
                assert!(stopped, "{name}: {more:?}");
                assert_eq!(texts.into_iter().flatten().collect::<Vec<_>>(), expected, "{name}: {more:?}");
                assert_eq!(answered_with, answered, "{name}: {more:?}");
            }
        }
    }

    #[test]
    fn an_unknown_protocol_version_gets_the_latest() {
        let (texts, ..) = run(&[r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01"}}"#]);
        assert!(texts[0].as_deref().unwrap().contains("\"protocolVersion\":\"2025-06-18\""));
    }

    #[test]
    fn anything_out_of_the_usual_order_is_the_daemons() {
        // Not initialize first; tools/list before initialized; a cursor; a batch; a bad id; not JSON.
        for lines in [
            &[r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#][..],
            &[r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#, r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#],
            &[r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#, r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
              r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"x"}}"#],
            &[r#"[{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}]"#],
            &[r#"{"jsonrpc":"2.0","id":1.5,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}"#],
            &["{not json"],
        ] {
            let (_, answered, _, stopped) = run(lines);
            assert!(stopped, "{lines:?}");
            assert!(answered.len() < lines.len(), "{lines:?}");
        }
    }
}
