#!/usr/bin/env node
// A real MCP client (the official TypeScript SDK) driving the Wassette server over stdio.
//
//   node stdio-client.mjs --fixtures <dir with types.wasm, io.wasm> [--oci oci://REGISTRY/REPO:TAG] -- <server command> [args...]
//
// With --oci (an artifact of the types fixture in a registry), the client also loads the component from
// there through load-component, with a progressToken, and calls it.
//
// The SDK is loaded from the install made by setup.sh (outside the repo): $WASSETTE_MCP_CLIENTS, else
// ${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}/mcp-clients. Prints one line per step to stdout
// ("ok   <step>: <key result>"); on the first failed expectation prints "FAIL <step>: <why>" plus the
// tail of the server's stderr and exits 1 (2 for bad usage or a missing SDK).
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const TIMEOUT_MS = 30_000;

// --- arguments ---------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
let fixtures = process.env.WASSETTE_FIXTURES;
let ociRef;
const opts = dash < 0 ? argv : argv.slice(0, dash);
for (let i = 0; i < opts.length; i++) {
  if (opts[i] === '--fixtures') fixtures = opts[++i];
  else if (opts[i] === '--oci') ociRef = opts[++i];
  else usage(`unknown option ${opts[i]}`);
}
const serverCommand = dash < 0 ? [] : argv.slice(dash + 1);
if (serverCommand.length === 0) usage('no server command after --');
if (!fixtures) usage('no fixtures directory (--fixtures or $WASSETTE_FIXTURES)');
fixtures = resolve(fixtures);
for (const f of ['types.wasm', 'io.wasm', 'spin.wasm', 'fetch.wasm']) {
  if (!existsSync(join(fixtures, f))) usage(`fixture ${join(fixtures, f)} is missing`);
}

function usage(why) {
  console.error(`stdio-client: ${why}\nusage: node stdio-client.mjs --fixtures DIR [--oci REF] -- SERVER_COMMAND [ARGS...]`);
  process.exit(2);
}

// --- the SDK, from the tools dir ---------------------------------------------------------------
const clientsDir = process.env.WASSETTE_MCP_CLIENTS
  || join(process.env.WASSETTE_TOOLS_DIR || join(homedir(), '.cache', 'wassette', 'tools'), 'mcp-clients');
const sdkDir = join(clientsDir, 'node_modules', '@modelcontextprotocol', 'sdk');
if (!existsSync(join(sdkDir, 'package.json'))) {
  console.error(`stdio-client: @modelcontextprotocol/sdk not found in ${clientsDir}; run src/test/mcp-clients/setup.sh`);
  process.exit(2);
}
const sdk = (p) => import(pathToFileURL(join(sdkDir, 'dist', 'esm', p)).href);
const { Client } = await sdk('client/index.js');
const { StdioClientTransport } = await sdk('client/stdio.js');
const { ToolListChangedNotificationSchema } = await sdk('types.js');
const sdkVersion = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')).version;

// --- transcript helpers ------------------------------------------------------------------------
const serverErr = [];
let transport;
let client;
let scratch;
const clientErrors = [];

class Failed extends Error {}

function ok(step, detail) {
  console.log(`ok   ${step}: ${detail}`);
}

function expect(cond, step, why) {
  if (!cond) throw new Failed(`${step}: ${why}`);
}

const j = (v) => JSON.stringify(v);
const short = (v, n = 160) => { const s = typeof v === 'string' ? v : String(j(v)); return s.length > n ? s.slice(0, n) + '…' : s; };
const text = (r) => (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

// list_changed notifications: a counter plus waiters, so a notification that arrives before the
// tools/call response is not missed.
let listChanged = 0;
let waiters = [];
function onListChanged() {
  listChanged++;
  const ready = waiters.filter((w) => listChanged > w.after);
  waiters = waiters.filter((w) => listChanged <= w.after);
  for (const w of ready) w.resolve();
}
function waitListChanged(after, step) {
  if (listChanged > after) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const w = { after, resolve: () => { clearTimeout(timer); resolve(); } };
    const timer = setTimeout(() => {
      waiters = waiters.filter((x) => x !== w);
      reject(new Failed(`${step}: no notifications/tools/list_changed within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    waiters.push(w);
  });
}

// A line of the server's stderr (the invocation log), waited for with a bound.
async function serverLine(match, step) {
  const until = Date.now() + 15_000;
  for (;;) {
    const line = serverErr.find(match);
    if (line) return line;
    if (Date.now() > until) throw new Failed(`${step}: no matching server log line within 15 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function call(name, args) {
  return client.callTool({ name, arguments: args }, undefined, { timeout: TIMEOUT_MS });
}

async function toolNames() {
  const { tools } = await client.listTools(undefined, { timeout: TIMEOUT_MS });
  return { tools, names: new Set(tools.map((t) => t.name)) };
}

// --- the scenario ------------------------------------------------------------------------------
const TYPES = 'wassette_fixtures_types_0_1_0_';
const FILES = 'wassette_fixtures_files_0_1_0_';
const BUILTINS = ['load-component', 'unload-component', 'list-components', 'get-policy',
  'grant-storage-permission', 'grant-network-permission', 'grant-environment-variable-permission',
  'revoke-storage-permission', 'revoke-network-permission', 'revoke-environment-variable-permission',
  'reset-permission', 'apply-declared-permissions'];

async function main() {
  const started = Date.now();
  ok('sdk', `@modelcontextprotocol/sdk ${sdkVersion} on node ${process.version}`);

  transport = new StdioClientTransport({
    command: serverCommand[0],
    args: serverCommand.slice(1),
    env: { ...process.env },
    stderr: 'pipe',
  });
  let partial = '';
  transport.stderr?.on('data', (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop(); // a line cut between chunks waits for its end
    for (const line of lines) if (line) serverErr.push(line);
    if (serverErr.length > 2000) serverErr.splice(0, serverErr.length - 2000);
  });
  client = new Client({ name: 'wassette-stdio-client-test', version: '1.0.0' }, { capabilities: {} });
  client.setNotificationHandler(ToolListChangedNotificationSchema, onListChanged);
  client.onerror = (e) => clientErrors.push(String(e?.message ?? e));

  // 1. initialize
  await client.connect(transport, { timeout: 60_000 });
  const info = client.getServerVersion();
  const caps = client.getServerCapabilities();
  expect(info?.name, 'initialize', `no serverInfo: ${j(info)}`);
  expect(caps?.tools?.listChanged === true, 'initialize', `tools.listChanged capability missing: ${j(caps)}`);
  ok('initialize', `server ${info.name} ${info.version}, capabilities ${j(caps)}`);

  // 2. built-in tools
  let { tools, names } = await toolNames();
  const missing = BUILTINS.filter((b) => !names.has(b));
  expect(missing.length === 0, 'tools/list (built-ins)', `missing ${missing.join(', ')}; got ${[...names].join(', ')}`);
  ok('tools/list (built-ins)', `${tools.length} tools, all ${BUILTINS.length} built-ins present`);

  // 3. load types.wasm, wait for list_changed
  let before = listChanged;
  let r = await call('load-component', { path: pathToFileURL(join(fixtures, 'types.wasm')).href });
  expect(!r.isError, 'load-component types', `isError: ${text(r)}`);
  let loaded = JSON.parse(text(r));
  expect(loaded.id === 'types', 'load-component types', `id is ${j(loaded.id)}: ${text(r)}`);
  await waitListChanged(before, 'load-component types');
  ok('load-component types', `status "${loaded.status}", id ${loaded.id}, ${loaded.tools?.length} tools; got notifications/tools/list_changed`);

  // 4. component tools listed, with schemas
  ({ tools, names } = await toolNames());
  const echoRecord = tools.find((t) => t.name === `${TYPES}echo-record`);
  expect(echoRecord, 'tools/list (types)', `${TYPES}echo-record missing; got ${[...names].join(', ')}`);
  for (const n of ['greet', `${TYPES}add`, `${TYPES}divide`, `${TYPES}crash`]) {
    expect(names.has(n), 'tools/list (types)', `${n} missing`);
  }
  const v = echoRecord.inputSchema?.properties?.v;
  expect(echoRecord.inputSchema?.type === 'object' && v?.type === 'object', 'tools/list (types)',
    `echo-record inputSchema has no object property v: ${short(echoRecord.inputSchema, 400)}`);
  for (const p of ['name', 'retries', 'ratio', 'tags', 'origin']) {
    expect(v.properties?.[p], 'tools/list (types)', `echo-record schema lacks v.${p}: ${short(v, 400)}`);
  }
  ok('tools/list (types)', `${tools.length} tools; ${echoRecord.name} inputSchema.v has ${Object.keys(v.properties).join(', ')}`
    + ` (retries ${j(v.properties.retries)})`);

  // 5. simple calls
  r = await call('greet', { name: 'MCP' });
  expect(!r.isError && r.structuredContent?.result === 'Hello, MCP!', 'call greet', `got ${short(r, 300)}`);
  ok('call greet', `structuredContent ${j(r.structuredContent)}`);
  r = await call(`${TYPES}add`, { a: 2, b: 40 });
  expect(!r.isError && r.structuredContent?.result === 42, 'call add', `got ${short(r, 300)}`);
  ok('call add(2, 40)', `structuredContent ${j(r.structuredContent)}, text ${j(text(r))}`);

  // 6. nested record
  const record = { name: 'nested', retries: 3, ratio: 0.25, tags: ['a', 'b c', 'ü'], origin: { x: -7, y: 2147483647 } };
  r = await call(`${TYPES}echo-record`, { v: record });
  expect(!r.isError, 'call echo-record', `isError: ${text(r)}`);
  expect(isDeepStrictEqual(r.structuredContent?.result, record), 'call echo-record',
    `structuredContent.result ${j(r.structuredContent?.result)} != ${j(record)}`);
  expect(isDeepStrictEqual(JSON.parse(text(r)), record), 'call echo-record', `text content ${j(text(r))} != ${j(record)}`);
  ok('call echo-record', `structuredContent.result ${j(r.structuredContent.result)}`);
  const noOrigin = { ...record, origin: null, tags: [] };
  r = await call(`${TYPES}echo-record`, { v: noOrigin });
  expect(!r.isError && isDeepStrictEqual(r.structuredContent?.result, noOrigin), 'call echo-record (origin none)',
    `got ${short(r, 300)}`);
  ok('call echo-record (origin none)', `structuredContent.result ${j(r.structuredContent.result)}`);

  // 7. bad argument
  r = await call(`${TYPES}echo-record`, { v: { ...record, retries: 300 } });
  expect(r.isError === true, 'call echo-record (retries 300)', `expected isError, got ${short(r, 300)}`);
  expect(text(r).includes('args.v.retries'), 'call echo-record (retries 300)', `message does not name args.v.retries: ${j(text(r))}`);
  ok('call echo-record (retries 300)', `isError, ${j(text(r))}`);

  // 8. WIT result err is a result; a trap is an error
  r = await call(`${TYPES}divide`, { a: 1, b: 0 });
  expect(!r.isError && typeof r.structuredContent?.result?.err === 'string', 'call divide(1, 0)', `got ${short(r, 300)}`);
  ok('call divide(1, 0)', `structuredContent ${j(r.structuredContent)}`);
  r = await call(`${TYPES}crash`, {});
  expect(r.isError === true, 'call crash', `expected isError, got ${short(r, 300)}`);
  ok('call crash', `isError, ${short(text(r), 120)}`);
  expect(/guest backtrace:\n {2}\S+!\S*crash/.test(text(r)), 'call crash (backtrace)', `no guest backtrace naming crash: ${j(text(r))}`);
  ok('call crash (backtrace)', short(text(r).split('guest backtrace:')[1].trim().replace(/\s+/g, ' '), 120));
  const crashLog = await serverLine((l) => l.includes(`tool=${TYPES}crash `), 'invocation log (crash)');
  const split = /instantiate=([\d.]+)ms execute=([\d.]+)ms outcome=trap/.exec(crashLog);
  expect(split && Number(split[1]) > 0 && Number(split[2]) > 0 && crashLog.includes('backtrace='), 'invocation log (crash)',
    `the log of a trap lacks the real timings or the backtrace: ${crashLog}`);
  ok('invocation log (crash)', `instantiate=${split[1]}ms execute=${split[2]}ms outcome=trap, with backtrace`);

  // 9. io.wasm: denied until a storage grant covers the directory
  scratch = mkdtempSync(join(tmpdir(), 'wassette-mcp-client-'));
  const file = join(scratch, 'hello.txt');
  const contents = 'hello from the TypeScript client\n';
  writeFileSync(file, contents);
  before = listChanged;
  r = await call('load-component', { path: pathToFileURL(join(fixtures, 'io.wasm')).href });
  expect(!r.isError && JSON.parse(text(r)).id === 'io', 'load-component io', `got ${short(r, 300)}`);
  await waitListChanged(before, 'load-component io');
  ok('load-component io', `id io, ${JSON.parse(text(r)).tools?.length} tools; got notifications/tools/list_changed`);

  r = await call(`${FILES}read-file`, { path: file });
  const denied = r.structuredContent?.result?.err;
  expect(!r.isError && typeof denied === 'string', 'call read-file (no grant)', `expected {"err": …}, got ${short(r, 300)}`);
  expect(/capabilit|denied|permission|not permitted/i.test(denied), 'call read-file (no grant)', `err does not look like a denial: ${j(denied)}`);
  ok('call read-file (no grant)', `structuredContent ${j(r.structuredContent)}`);
  expect(text(r).includes("Files: the component's policy grants it no directory") && isDeepStrictEqual(r._meta?.['dev.wassette/storage'], []),
    'call read-file (no grant, report)', `the result does not say the component can see no directory: ${short(r, 500)}`);
  ok('call read-file (no grant, report)', short(text(r).slice(text(r).indexOf('Files:')), 110));

  r = await call('grant-storage-permission', { component_id: 'io', details: { uri: `fs://${scratch}/**`, access: ['read'] } });
  expect(!r.isError, 'grant-storage-permission', `isError: ${text(r)}`);
  ok('grant-storage-permission', `fs://${scratch}/** read → ${short(text(r), 120)}`);

  r = await call('grant-storage-permission', { component_id: 'io', details: { uri: `fs://${file}`, access: ['read'] } });
  expect(r.isError === true && text(r).includes(`grant its directory fs://${scratch}/**`), 'grant-storage-permission (single file)',
    `expected a refusal that names the directory to grant, got ${short(r, 400)}`);
  ok('grant-storage-permission (single file)', `refused: ${short(text(r), 140)}`);
  r = await call('grant-storage-permission', { component_id: 'io', details: { uri: `fs://${scratch}/out/**`, access: ['write'] } });
  expect(r.isError === true && text(r).includes('write without read'), 'grant-storage-permission (write only)',
    `expected a refusal, got ${short(r, 300)}`);
  ok('grant-storage-permission (write only)', `refused: ${short(text(r), 140)}`);

  r = await call('get-policy', { component_id: 'io' });
  expect(!r.isError && text(r).includes(scratch), 'get-policy io', `policy does not mention ${scratch}: ${short(r, 300)}`);
  ok('get-policy io', short(text(r).replace(/\s+/g, ' '), 200));

  r = await call(`${FILES}read-file`, { path: file });
  expect(!r.isError && r.structuredContent?.result?.ok === contents, 'call read-file (granted)',
    `expected {"ok": ${j(contents)}}, got ${short(r, 300)}`);
  ok('call read-file (granted)', `structuredContent ${j(r.structuredContent)}`);

  // 10. cancellation: the SDK sends notifications/cancelled when the signal aborts; the spinning guest stops
  before = listChanged;
  r = await call('load-component', { path: pathToFileURL(join(fixtures, 'spin.wasm')).href });
  expect(!r.isError, 'load-component spin', `isError: ${text(r)}`);
  await waitListChanged(before, 'load-component spin');
  const abort = new AbortController();
  const spinning = client.callTool({ name: 'spin', arguments: {} }, undefined, { signal: abort.signal, timeout: 120_000 })
    .then((res) => ({ res }), (err) => ({ err }));
  setTimeout(() => abort.abort('the user pressed stop'), 300);
  const cancelled = await spinning;
  expect(cancelled.err, 'cancel spin', `the call was not aborted: ${short(cancelled.res, 200)}`);
  const cancelLog = await serverLine((l) => l.includes('tool=spin ') && l.includes('outcome='), 'cancel spin');
  expect(cancelLog.includes('outcome=cancelled'), 'cancel spin', `the guest was not stopped by the cancellation: ${cancelLog}`);
  r = await call('ok', {});
  expect(!r.isError && r.structuredContent?.result === 42, 'call ok after cancel', `got ${short(r, 200)}`);
  expect(!clientErrors.some((e) => /unknown message ID/i.test(e)), 'cancel spin',
    `the server answered the cancelled request: ${clientErrors.join('; ')}`);
  ok('cancel spin', `aborted; server logged ${short(cancelLog.slice(cancelLog.indexOf('tool=')), 110)}; no answer to the cancelled request`);

  // 11. a denied HTTP request: the result says what was denied and why
  before = listChanged;
  r = await call('load-component', { path: pathToFileURL(join(fixtures, 'fetch.wasm')).href });
  expect(!r.isError, 'load-component fetch', `isError: ${text(r)}`);
  await waitListChanged(before, 'load-component fetch');
  r = await call('http-get', { url: 'https://api.example.org/v1/data' });
  expect(text(r).includes('Denied by the component\'s policy:') && text(r).includes('api.example.org')
    && text(r).includes('no network rule allows this host'), 'call http-get (denied)', `no denial report in ${short(r, 500)}`);
  expect(r._meta?.['dev.wassette/denials']?.[0]?.category === 'network', 'call http-get (denied)', `no _meta denials: ${short(r, 500)}`);
  ok('call http-get (denied)', short(text(r).slice(text(r).indexOf('Denied')).replace(/\s+/g, ' '), 140));

  // 12. unload types
  before = listChanged;
  r = await call('unload-component', { id: 'types' });
  expect(!r.isError, 'unload-component types', `isError: ${text(r)}`);
  await waitListChanged(before, 'unload-component types');
  ({ tools, names } = await toolNames());
  expect(![...names].some((n) => n.startsWith(TYPES) || n === 'greet'), 'unload-component types',
    `types tools still listed: ${[...names].filter((n) => n.startsWith(TYPES)).join(', ')}`);
  expect(names.has(`${FILES}read-file`), 'unload-component types', 'io tools vanished too');
  ok('unload-component types', `got notifications/tools/list_changed; ${tools.length} tools left, no ${TYPES}*`);

  r = await call(`${TYPES}add`, { a: 1, b: 1 }).then((res) => ({ res }), (err) => ({ err }));
  expect(r.err || r.res?.isError, 'call add after unload', `expected an error, got ${short(r.res, 300)}`);
  ok('call add after unload', `rejected: ${short(r.err ? `${r.err.code ?? ''} ${r.err.message}` : text(r.res), 140)}`);

  r = await call('list-components', {});
  expect(!r.isError && !text(r).includes('"types"') && text(r).includes('"io"'), 'list-components', `got ${short(text(r), 300)}`);
  ok('list-components', short(text(r), 160));

  // 13. the types component again, from an OCI registry: progress for the progressToken, source and digest recorded
  if (ociRef) {
    before = listChanged;
    const progress = [];
    r = await client.callTool({ name: 'load-component', arguments: { path: ociRef } }, undefined,
      { timeout: TIMEOUT_MS, onprogress: (p) => progress.push(p) });
    expect(!r.isError, 'load-component oci', `isError: ${text(r)}`);
    loaded = JSON.parse(text(r));
    expect(loaded.id === 'types' && loaded.source === ociRef && /^sha256:[0-9a-f]{64}$/.test(loaded.digest) && loaded.from_cache === false,
      'load-component oci', `unexpected result ${text(r)}`);
    await waitListChanged(before, 'load-component oci');
    const last = progress.at(-1);
    expect(last && last.total > 0 && last.progress === last.total && /component/.test(last.message ?? ''), 'load-component oci (progress)',
      `no progress notification that reached the component's size: ${j(progress)}`);
    ok('load-component oci', `id ${loaded.id} from ${loaded.source} (${loaded.digest}); got notifications/tools/list_changed`);
    ok('load-component oci (progress)', `${progress.length} notifications/progress, last ${last.progress}/${last.total} "${last.message}"`);
    r = await call(`${TYPES}add`, { a: 20, b: 22 });
    expect(!r.isError && r.structuredContent?.result === 42, 'call add (oci)', `got ${short(r, 300)}`);
    ok('call add (oci)', `structuredContent ${j(r.structuredContent)}`);
    r = await call('list-components', {});
    const listed = JSON.parse(text(r)).components.find((c) => c.id === 'types');
    expect(listed?.source === ociRef && listed?.digest === loaded.digest, 'list-components (oci)', `got ${short(text(r), 400)}`);
    ok('list-components (oci)', `types: source ${listed.source}, digest ${listed.digest}`);
  }

  await client.close();
  ok('close', `server stopped; ${listChanged} list_changed notifications; ${Date.now() - started} ms`);
}

try {
  await main();
  console.log('PASS stdio-client');
} catch (e) {
  const why = e instanceof Failed ? e.message : `unexpected error: ${e?.stack ?? e}`;
  console.log(`FAIL ${why}`);
  if (serverErr.length) {
    console.log('--- server stderr (last 40 lines) ---');
    for (const line of serverErr.slice(-40)) console.log(`server| ${line}`);
  }
  process.exitCode = 1;
  try { await client?.close(); } catch { /* already gone */ }
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
