/**
 * Baseline (b) for bench/webhook-throughput.ts: the least a webhook endpoint can do — read the
 * body, check the HMAC-SHA1 signature, JSON.parse, answer 200 — on bare node:http, nothing
 * emitted. Run as a child process: `node --require tsx/cjs bench/webhook-bare-server.ts <secret>`;
 * prints the URL when listening.
 */
import http = require('node:http');
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

const secret = process.argv[2] ?? '';
const OK = Buffer.from('{"ok":true}');

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const header = req.headers['x-sg-signature'];
    const expected = Buffer.from('sha1=' + createHmac('sha1', secret).update(body).digest('hex'));
    const given = Buffer.from(typeof header === 'string' ? header : '');
    let status = 401;
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      try {
        JSON.parse(body.toString('utf8'));
        status = 200;
      } catch {
        status = 400;
      }
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': OK.length });
    res.end(OK);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
