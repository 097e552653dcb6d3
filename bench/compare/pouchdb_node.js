// One PouchDB node of `bench/run compare` (a village, a township or a
// county): a PouchDB database on the LevelDB adapter (PouchDB's default in
// Node.js), served over HTTP on loopback by express-pouchdb, as a PouchDB
// deployment serves the CouchDB replication protocol.
//
//   node pouchdb_node.js DIR
//
// Keeps its databases under DIR and prints {"port":N} on stdout once it
// listens on 127.0.0.1:N. Besides the CouchDB API, a few routes under
// /_bench/ let the driver (driver.js) act as the node's application:
//   POST /_bench/load       {file, from, count}  bulkDocs lines [from, from+count)
//                           of a JSON-lines file into the database "bench"
//   POST /_bench/replicate  {target, batch_size?, live?}  "bench" → target,
//                           as PouchDB users replicate (db.replicate.to); a
//                           one-shot run answers when complete, with its
//                           duration in ms; a live one answers once started
//   POST /_bench/cancel     cancels every live replication
// batch_size absent means PouchDB's default.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const PouchDB = require('pouchdb');
const expressPouchDB = require('express-pouchdb');

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node pouchdb_node.js DIR\n');
  process.exit(2);
}
fs.mkdirSync(dir, {recursive: true});
const LocalPouchDB = PouchDB.defaults({prefix: dir + '/'});
const couch = expressPouchDB(LocalPouchDB, {
  mode: 'minimumForPouchDB',
  logPath: path.join(dir, 'express-pouchdb.log'),
  configPath: path.join(dir, 'express-pouchdb.json'),
});
const db = new LocalPouchDB('bench');
const live = [];

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
    req.on('error', reject);
  });
}

async function load({file, from, count}) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').slice(from, from + count);
  for (let i = 0; i < lines.length; i += 1000) {
    const docs = lines.slice(i, i + 1000).map((line) => JSON.parse(line));
    const results = await db.bulkDocs(docs);
    const failed = results.find((result) => result.error);
    if (failed) throw new Error(`bulkDocs: ${JSON.stringify(failed)}`);
  }
  return {loaded: lines.length};
}

function replicationOptions(body) {
  return body.batch_size ? {batch_size: body.batch_size} : {};
}

async function replicate(body) {
  if (body.live) {
    const handle = db.replicate.to(body.target, {...replicationOptions(body), live: true, retry: true});
    handle.on('error', (error) => process.stderr.write(`live replication: ${error}\n`));
    live.push(handle);
    return {started: true};
  }
  const start = process.hrtime.bigint();
  const result = await db.replicate.to(body.target, replicationOptions(body));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return {ms, docs_read: result.docs_read, docs_written: result.docs_written};
}

async function cancel() {
  const handles = live.splice(0);
  await Promise.all(handles.map((handle) => new Promise((resolve) => {
    handle.on('complete', resolve);
    handle.cancel();
  })));
  return {cancelled: handles.length};
}

const routes = {'/_bench/load': load, '/_bench/replicate': replicate, '/_bench/cancel': cancel};

const server = http.createServer((req, res) => {
  const route = routes[req.url];
  if (!route) return couch(req, res);
  readBody(req).then(route).then(
      (answer) => {
        res.writeHead(200, {'Content-Type': 'application/json'});
        res.end(JSON.stringify(answer));
      },
      (error) => {
        res.writeHead(500, {'Content-Type': 'application/json'});
        res.end(JSON.stringify({error: String(error && error.stack || error)}));
      });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({port: server.address().port}) + '\n');
});
process.on('SIGTERM', () => {
  cancel().then(() => db.close()).then(() => process.exit(0), () => process.exit(1));
});
