// The DuckDB peer of trove-bench-compare: loads a JSON-lines file of generated events
// (trove-gen-events) into a DuckDB database and times SQL queries over it.
//
//   node bench/compare/duckdb_peer.mjs --db PATH --data FILE.jsonl [--threads N]
//
// stdin:  ONE JSON object {"load": true|false, "queries": [{"name", "sql", "runs"}, ...]}
// stdout: ONE JSON object {"load_s", "db_bytes", "rows_loaded", "duckdb_version", "threads",
//         "results": [{"name", "times_ms": [...], "rows": [[...], ...], "error"?}, ...]}
// stderr: progress and diagnostics only.
//
// DuckDB streams the file itself (read_ndjson), so a 10 GB file never passes through node.
// Exit status: 0 when the input was valid and the load (if asked) worked, even if some
// queries failed (their result carries "error"); 1 on a failed load, 2 on bad arguments or
// bad stdin. See README.md beside this file.
import fs from 'node:fs';
import os from 'node:os';
import process from 'node:process';
import { DuckDBInstance, version as duckdbVersion } from '@duckdb/node-api';

function log(...args) {
  process.stderr.write(`duckdb_peer: ${args.join(' ')}\n`);
}

function usage(msg) {
  if (msg) log(msg);
  log('usage: node duckdb_peer.mjs --db PATH --data FILE.jsonl [--threads N] < request.json');
  process.exit(2);
}

function parseArgs(argv) {
  const out = { db: null, data: null, threads: defaultThreads() };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--db') out.db = value();
    else if (a === '--data') out.data = value();
    else if (a === '--threads') {
      const v = value();
      if (!/^[1-9][0-9]*$/.test(v)) usage(`--threads wants a positive integer, got '${v}'`);
      out.threads = Number(v);
    } else usage(`unknown argument '${a}'`);
  }
  if (!out.db) usage('--db is required');
  if (!out.data) usage('--data is required');
  return out;
}

function defaultThreads() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism()
                                                       : os.cpus().length;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function parseRequest(text) {
  let req;
  try {
    req = JSON.parse(text);
  } catch (e) {
    usage(`stdin is not one JSON object: ${e.message}`);
  }
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    usage('stdin must be a JSON object');
  }
  if (typeof req.load !== 'boolean') usage('"load" must be true or false');
  const queries = req.queries ?? [];
  if (!Array.isArray(queries)) usage('"queries" must be an array');
  for (const [i, q] of queries.entries()) {
    if (q === null || typeof q !== 'object') usage(`queries[${i}] must be an object`);
    if (typeof q.name !== 'string') usage(`queries[${i}].name must be a string`);
    if (typeof q.sql !== 'string') usage(`queries[${i}].sql must be a string`);
    if (!Number.isInteger(q.runs) || q.runs < 1) usage(`queries[${i}].runs must be an integer >= 1`);
  }
  return { load: req.load, queries };
}

function sqlString(s) {
  return `'${s.replaceAll("'", "''")}'`;
}

// The JSON keys read from each line and their DuckDB types. Only these are parsed; other keys
// of a line are skipped. Keys with dots are plain keys (the generator writes them flat).
const kJsonColumns = {
  '_time': 'VARCHAR',
  'service': 'VARCHAR',
  'level': 'VARCHAR',
  'host': 'VARCHAR',
  '_msg': 'VARCHAR',
  'trace_id': 'VARCHAR',
  'span_id': 'VARCHAR',
  'parent_span_id': 'VARCHAR',
  'user.id': 'VARCHAR',
  'client.ip': 'VARCHAR',
  'http.route': 'VARCHAR',
  'http.status': 'INTEGER',
  'latency_ms': 'DOUBLE',
};

// `_time` is RFC 3339 with up to 9 fraction digits. DuckDB's TIMESTAMP holds µs, so the
// seconds come from the first 19 characters and the fraction is added as integer ns. A 'Z'
// suffix (what trove-gen-events writes) takes the cheap branch; a ±hh:mm offset is honoured.
const kTimeNs = `
  epoch_ns(CAST(left("_time", 19) AS TIMESTAMP))
  + CAST(rpad(left(coalesce(regexp_extract("_time", '\\.([0-9]+)', 1), ''), 9), 9, '0') AS BIGINT)
  - CASE WHEN right("_time", 1) = 'Z' OR length("_time") <= 19 THEN 0::BIGINT
         ELSE coalesce(
           (CASE WHEN substr("_time", -6, 1) = '-' THEN -1 ELSE 1 END)
           * (CAST(nullif(regexp_extract("_time", '[+-]([0-9]{2}):[0-9]{2}$', 1), '') AS BIGINT) * 3600
              + CAST(nullif(regexp_extract("_time", '[+-][0-9]{2}:([0-9]{2})$', 1), '') AS BIGINT) * 60)
           * 1000000000, 0::BIGINT)
    END`;

function loadSql(dataPath) {
  const columns = Object.entries(kJsonColumns)
                      .map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`)
                      .join(', ');
  return `CREATE TABLE logs AS SELECT
      CAST(${kTimeNs} AS BIGINT) AS time_ns,
      "service" AS service,
      "level" AS level,
      "host" AS host,
      "_msg" AS msg,
      "trace_id" AS trace_id,
      "span_id" AS span_id,
      "parent_span_id" AS parent_span_id,
      "user.id" AS user_id,
      "client.ip" AS client_ip,
      "http.route" AS route,
      "http.status" AS status,
      "latency_ms" AS latency_ms
    FROM read_ndjson(${sqlString(dataPath)}, columns = {${columns}},
                     format = 'newline_delimited', records = true)`;
}

function removeIfExists(path) {
  try {
    fs.rmSync(path, { force: true });
  } catch (e) {
    throw new Error(`cannot remove ${path}: ${e.message}`);
  }
}

function fileSize(path) {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

// A DuckDB value as JSON: integers as numbers while exact, else strings; NULL as null;
// non-finite doubles, dates and blobs as strings.
function toJson(v) {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'bigint':
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
                 ? Number(v)
                 : v.toString();
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'boolean':
    case 'string':
      return v;
    default:
      break;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJson(x);
    return out;
  }
  return String(v);
}

async function runQuery(conn, q) {
  const result = { name: q.name, times_ms: [], rows: [] };
  try {
    await conn.runAndReadAll(q.sql);  // warm-up, unmeasured
    let reader = null;
    for (let i = 0; i < q.runs; ++i) {
      const t0 = process.hrtime.bigint();
      reader = await conn.runAndReadAll(q.sql);
      const t1 = process.hrtime.bigint();
      result.times_ms.push(Number(t1 - t0) / 1e6);
    }
    result.rows = reader.getRowsJS().map((row) => row.map(toJson));
  } catch (e) {
    result.error = String(e?.message ?? e);
    log(`query ${q.name} failed: ${result.error}`);
  }
  return result;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const req = parseRequest(await readStdin());

  if (req.load) {
    if (!fs.existsSync(args.data)) {
      log(`data file ${args.data} does not exist`);
      process.exit(1);
    }
    removeIfExists(args.db);
    removeIfExists(`${args.db}.wal`);
  }

  let instance, conn;
  try {
    instance = await DuckDBInstance.create(args.db, { threads: String(args.threads) });
    conn = await instance.connect();
  } catch (e) {
    log(`cannot open ${args.db}: ${e?.message ?? e}`);
    process.exit(1);
  }

  let loadS = 0;
  if (req.load) {
    log(`loading ${args.data} (${fileSize(args.data)} bytes) into ${args.db}, ${args.threads} threads`);
    try {
      const t0 = process.hrtime.bigint();
      await conn.run(loadSql(args.data));
      await conn.run('CHECKPOINT');
      loadS = Number(process.hrtime.bigint() - t0) / 1e9;
    } catch (e) {
      log(`load failed: ${e?.message ?? e}`);
      process.exit(1);
    }
    log(`loaded in ${loadS.toFixed(3)} s`);
  }

  let rowsLoaded = 0;
  try {
    const r = await conn.runAndReadAll('SELECT count(*) FROM logs');
    rowsLoaded = toJson(r.getRowsJS()[0][0]);
  } catch (e) {
    log(`cannot count logs (${e?.message ?? e})${req.load ? '' : '; was it loaded?'}`);
    if (req.load) process.exit(1);
  }
  const dbBytes = fileSize(args.db) + fileSize(`${args.db}.wal`);

  const results = [];
  for (const q of req.queries) {
    log(`query ${q.name}: ${q.runs} runs`);
    results.push(await runQuery(conn, q));
  }

  const out = {
    load_s: loadS,
    db_bytes: dbBytes,
    rows_loaded: rowsLoaded,
    duckdb_version: duckdbVersion(),
    threads: args.threads,
    results,
  };
  conn.closeSync();
  instance.closeSync();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  log(`fatal: ${e?.stack ?? e}`);
  process.exit(1);
});
