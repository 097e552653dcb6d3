// The PouchDB side of `bench/run compare` (bench/compare_bench.cc runs it):
// the workload of issue 7 on PouchDB nodes, each a separate Node.js process
// (pouchdb_node.js) serving its database over HTTP on loopback.
//
//   node driver.js '<json config>'
//
// Config: records (a JSON-lines file of documents, one per line: the first
// n are the backlog, the next `more` the incremental changes, the next
// live_writes the live ones), work (a directory for the nodes' databases),
// n, more, batch_sizes (0 is PouchDB's default), noop_repeats, live_writes,
// live_interval_ms.
//
// Prints "figure <name> <value>" lines on stdout, progress on stderr. What
// it runs, in order:
//  1. the village loads the backlog (bulkDocs, offline: no replication);
//  2. for each batch size, a fresh village process and a fresh township:
//     the village replicates one-shot to the township through a counting
//     TCP proxy (this process): seconds, records/s, bytes both ways, peak
//     RSS (VmHWM) of both processes. The default and the best batch size's
//     townships stay up for step 5;
//  3. for the default and the best batch size, a fresh village (on a copy of
//     the backlog, so that the live writes of step 4 stay out of step 5),
//     township and county: the township replicates live to the county, the village
//     one-shot to the township; timed until the county's doc_count (polled
//     every 20 ms) reaches the backlog;
//  4. in the default two-hop tree: the village replicates live too, and
//     live_writes documents are PUT at the village, one every
//     live_interval_ms, while a continuous _changes feed at the county
//     receives them: latency = arrival − PUT start, one clock (this process);
//  5. the village loads `more` documents (offline), then replicates one-shot
//     to each township kept from step 2 (incremental), then noop_repeats
//     more one-shot replications with nothing new (no-op), median reported.
'use strict';

const {spawn} = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const config = JSON.parse(process.argv[2]);
const agent = new http.Agent({keepAlive: false});
// Every node process started, so that none outlives the driver, however it ends.
const started = new Set();
process.on('exit', () => {
  for (const proc of started) proc.kill('SIGKILL');
});

function log(message) {
  process.stderr.write(`pouchdb: ${message}\n`);
}

function figure(name, value) {
  process.stdout.write(`figure ${name} ${value}\n`);
}

function now() {
  return Number(process.hrtime.bigint()) / 1e6;  // ms, monotonic
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function request(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath, agent,
      headers: payload ? {'Content-Type': 'application/json', 'Content-Length': payload.length} : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode >= 300) {
          reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text}`));
        } else {
          resolve(JSON.parse(text));
        }
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function peakRssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = status.match(/^VmHWM:\s+(\d+) kB/m);
  return match ? Number(match[1]) / 1024 : -1;
}

// A pouchdb_node.js process keeping its databases under work/<name>.
class PouchNode {
  static start(name) {
    const dir = path.join(config.work, name);
    const proc = spawn(process.execPath, [path.join(__dirname, 'pouchdb_node.js'), dir],
                       {stdio: ['ignore', 'pipe', 'inherit']});
    started.add(proc);
    proc.on('exit', () => started.delete(proc));
    return new Promise((resolve, reject) => {
      let buffered = '';
      const onExit = (code) => reject(new Error(`${name} exited with ${code} before serving`));
      proc.on('exit', onExit);
      proc.stdout.on('data', (data) => {
        buffered += data;
        const newline = buffered.indexOf('\n');
        if (newline < 0) return;
        proc.off('exit', onExit);
        resolve(new PouchNode(name, dir, proc, JSON.parse(buffered.slice(0, newline)).port));
      });
    });
  }

  constructor(name, dir, proc, port) {
    this.name = name;
    this.dir = dir;
    this.proc = proc;
    this.port = port;
    this.url = `http://127.0.0.1:${port}/bench`;
  }

  call(route, body) {
    return request(this.port, 'POST', `/_bench/${route}`, body || {});
  }

  async docCount() {
    return (await request(this.port, 'GET', '/bench')).doc_count;
  }

  peakRssMb() {
    return peakRssMb(this.proc.pid);
  }

  // SIGTERM, then waits for the exit; `remove` also deletes the databases.
  async stop(remove) {
    if (this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGTERM');
      await exited;
    }
    if (remove) fs.rmSync(this.dir, {recursive: true, force: true});
  }
}

// A TCP proxy on loopback to `port` that counts the bytes both ways.
function countingProxy(port) {
  const counts = {up: 0, down: 0};
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    down.setNoDelay(true);
    up.setNoDelay(true);
    down.on('data', (data) => { counts.up += data.length; });
    up.on('data', (data) => { counts.down += data.length; });
    down.pipe(up);
    up.pipe(down);
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({counts, url: `http://127.0.0.1:${server.address().port}/bench`,
             close: () => server.close()});
  }));
}

function batchName(size) {
  return size === 0 ? 'default' : String(size);
}

function batchBody(size) {
  return size === 0 ? {} : {batch_size: size};
}

async function waitCount(node, count, timeoutMs) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const docs = await node.docCount();
    if (docs >= count) return now();
    if (now() > deadline) throw new Error(`${node.name} has ${docs} of ${count} documents`);
    await sleep(20);
  }
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function loadAverage() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

// Step 2: one hop through a counting proxy; the township stays up.
async function oneHop(size) {
  const name = batchName(size);
  const village = await PouchNode.start('village');
  const township = await PouchNode.start(`township-${name}`);
  const proxy = await countingProxy(township.port);
  log(`one hop, batch size ${name} (load ${loadAverage()})`);
  const run = await village.call('replicate', {target: proxy.url, ...batchBody(size)});
  const docs = await township.docCount();
  if (docs < config.n) throw new Error(`township has ${docs} of ${config.n} documents`);
  const wire = proxy.counts.up + proxy.counts.down;
  const result = {size, township, proxy, recordsPerS: config.n / (run.ms / 1e3)};
  figure(`one_hop_${name}_seconds`, run.ms / 1e3);
  figure(`one_hop_${name}_records_per_s`, result.recordsPerS);
  figure(`one_hop_${name}_wire_bytes_per_record`, wire / config.n);
  figure(`one_hop_${name}_wire_up_bytes_per_record`, proxy.counts.up / config.n);
  figure(`one_hop_${name}_wire_down_bytes_per_record`, proxy.counts.down / config.n);
  figure(`one_hop_${name}_village_peak_rss_mb`, village.peakRssMb());
  figure(`one_hop_${name}_township_peak_rss_mb`, township.peakRssMb());
  log(`one hop, batch size ${name}: ${result.recordsPerS.toFixed(0)} records/s, ` +
      `${(wire / config.n).toFixed(1)} B/record`);
  await village.stop(false);
  return result;
}

// Step 3 (and 4 for the default): two hops; returns the live figures if asked.
async function twoHops(size, prefix, live) {
  const village = await PouchNode.start('village-copy');
  const county = await PouchNode.start(`county-${prefix}`);
  const township = await PouchNode.start(`township2-${prefix}`);
  await township.call('replicate', {target: county.url, live: true, ...batchBody(size)});
  log(`two hops, batch size ${batchName(size)} (load ${loadAverage()})`);
  const start = now();
  const run = await village.call('replicate', {target: township.url, ...batchBody(size)});
  const end = await waitCount(county, config.n, 30 * 60 * 1000);
  const seconds = (end - start) / 1e3;
  figure(`${prefix}_seconds`, seconds);
  figure(`${prefix}_first_hop_seconds`, run.ms / 1e3);
  figure(`${prefix}_records_per_s`, config.n / seconds);
  figure(`${prefix}_village_peak_rss_mb`, village.peakRssMb());
  figure(`${prefix}_township_peak_rss_mb`, township.peakRssMb());
  figure(`${prefix}_county_peak_rss_mb`, county.peakRssMb());
  log(`two hops, batch size ${batchName(size)}: ${(config.n / seconds).toFixed(0)} records/s`);
  if (live) await measureLive(village, township, county);
  for (const node of [village, township, county]) await node.call('cancel');
  await village.stop(live);
  await township.stop(true);
  await county.stop(true);
}

// Step 4.
async function measureLive(village, township, county) {
  await village.call('replicate', {target: township.url, live: true});
  const lines = fs.readFileSync(config.records, 'utf8').split('\n');
  const first = config.n + config.more;
  const arrivals = new Map();
  const feed = await new Promise((resolve, reject) => {
    const req = http.get({host: '127.0.0.1', port: county.port, agent,
                          path: '/bench/_changes?feed=continuous&since=now&heartbeat=5000'},
                         (res) => resolve({req, res}));
    req.on('error', reject);
  });
  let buffered = '';
  feed.res.on('data', (data) => {
    const at = now();
    buffered += data;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const id = JSON.parse(line).id;
      if (id && id.startsWith('live-') && !arrivals.has(id)) arrivals.set(id, at);
    }
  });
  feed.res.on('error', () => {});
  log(`live: ${config.live_writes} writes, one every ${config.live_interval_ms} ms ` +
      `(load ${loadAverage()})`);
  const starts = [];
  const begin = now();
  for (let i = 0; i < config.live_writes; ++i) {
    await sleep(begin + i * config.live_interval_ms - now());
    const doc = JSON.parse(lines[first + i]);
    delete doc._id;
    starts.push(now());
    await request(village.port, 'PUT', `/bench/live-${i}`, doc);
  }
  const deadline = now() + 5000;
  while (arrivals.size < config.live_writes && now() < deadline) await sleep(20);
  feed.req.destroy();
  const millis = [];
  starts.forEach((start, i) => {
    const at = arrivals.get(`live-${i}`);
    if (at !== undefined) millis.push(at - start);
  });
  if (millis.length === 0) throw new Error('no live document reached the county');
  figure('live_writes', config.live_writes);
  figure('live_received', millis.length);
  figure('live_p50_ms', quantile(millis, 0.5));
  figure('live_p90_ms', quantile(millis, 0.9));
  figure('live_p99_ms', quantile(millis, 0.99));
  figure('live_max_ms', Math.max(...millis));
  log(`live: p50 ${quantile(millis, 0.5).toFixed(1)} ms, p99 ${quantile(millis, 0.99).toFixed(1)} ms`);
}

// Step 5, for one township kept from step 2.
async function incrementalAndNoOp(village, hop, prefix) {
  const incremental = await village.call('replicate', {target: hop.proxy.url, ...batchBody(hop.size)});
  if (incremental.docs_written !== config.more) {
    throw new Error(`incremental sync wrote ${incremental.docs_written} of ${config.more}`);
  }
  figure(`incremental_${prefix}_ms`, incremental.ms);
  const noops = [];
  for (let i = 0; i < config.noop_repeats; ++i) {
    const noop = await village.call('replicate', {target: hop.proxy.url, ...batchBody(hop.size)});
    if (noop.docs_written !== 0) throw new Error(`no-op sync wrote ${noop.docs_written}`);
    noops.push(noop.ms);
  }
  figure(`noop_${prefix}_ms`, quantile(noops, 0.5));
  figure(`noop_${prefix}_min_ms`, Math.min(...noops));
  figure(`noop_${prefix}_max_ms`, Math.max(...noops));
  log(`${prefix}: incremental ${incremental.ms.toFixed(1)} ms, no-op ${quantile(noops, 0.5).toFixed(1)} ms`);
}

async function main() {
  fs.mkdirSync(config.work, {recursive: true});
  const loader = await PouchNode.start('village');
  log(`loading ${config.n} documents at the village (load ${loadAverage()})`);
  const loadStart = now();
  await loader.call('load', {file: config.records, from: 0, count: config.n});
  figure('fill_seconds', (now() - loadStart) / 1e3);
  await loader.stop(false);
  fs.cpSync(loader.dir, path.join(config.work, 'village-copy'), {recursive: true});

  const hops = [];
  for (const size of config.batch_sizes) hops.push(await oneHop(size));
  const best = hops.reduce((a, b) => (b.recordsPerS > a.recordsPerS ? b : a));
  const fallback = hops[0];
  figure('best_batch_size', best.size === 0 ? 100 : best.size);
  for (const hop of hops) {
    if (hop !== best && hop !== fallback) {
      hop.proxy.close();
      await hop.township.stop(true);
    }
  }

  if (best !== fallback) await twoHops(best.size, 'two_hops_best', false);
  await twoHops(fallback.size, 'two_hops_default', true);

  const village = await PouchNode.start('village');
  await village.call('load', {file: config.records, from: config.n, count: config.more});
  log(`incremental and no-op syncs (load ${loadAverage()})`);
  await incrementalAndNoOp(village, fallback, 'default');
  if (best !== fallback) await incrementalAndNoOp(village, best, 'best');
  await village.stop(true);
  for (const hop of new Set([fallback, best])) {
    hop.proxy.close();
    await hop.township.stop(true);
  }
}

main().then(() => process.exit(0), (error) => {
  log(`failed: ${error.stack || error}`);
  process.exit(1);
});
