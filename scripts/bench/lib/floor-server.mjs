#!/usr/bin/env node
// The W2 floor: what any Node HTTPS webhook pays before it decides anything. A raw `https.createServer`
// with the same certificate as the servers it is measured against; it reads the whole body, parses it
// (JSON.parse, as wasmgate does once per review) and answers a fixed AdmissionReview that allows the
// request, echoing its uid and apiVersion. No framework, no policy, no logging, no metrics.
// Usage: node floor-server.mjs CERT KEY PORT
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [cert, key, port] = process.argv.slice(2);
if (!cert || !key || !port) {
  console.error('usage: floor-server.mjs CERT KEY PORT');
  process.exit(2);
}

const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let review;
    try {
      review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"the body is not valid JSON"}');
      return;
    }
    const body = JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request?.uid, allowed: true } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
