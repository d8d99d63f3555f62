import autocannon = require('autocannon');
import { NodeRedRuntime } from './test/support/webhook-node-red';
import { sgHeaders } from './test/support/webhook-fixtures';
import { SignedBatches } from './bench/signed-batches';
const SECRET = 's';
const bodies = new SignedBatches(SECRET, 50);
const HEADERS = sgHeaders('h');
async function main() {
  const runtime = await NodeRedRuntime.start({ nodeArgs: ['--cpu-prof', '--cpu-prof-dir=/tmp/probe/prof2'], settings: { logging: { console: { level: 'error', metrics: false, audit: false } } } });
  await runtime.deploy([
    { id: 'tab', type: 'tab', label: 'b' },
    { id: 'a1', type: 'fptr-webhook-in', z: 'tab', url: '/a1', split: true, dedupWindow: 600, dedupStore: '', credentials: { secret: SECRET }, wires: [[]] },
  ], '/a1');
  const url = `${runtime.url}/a1`;
  await new Promise<void>((resolve, reject) => {
    autocannon({ url, connections: 10, duration: Number(process.argv[2] ?? 8), requests: [{ setupRequest: (req: any) => { const { body, signature } = bodies.next(); return { ...req, method: 'POST', body, headers: { ...HEADERS, 'x-sg-signature': signature } }; } }] }, (err: any, r: any) => { if (err) reject(err); else { console.log('req/s', r.requests.average, 'non2xx', r.non2xx); resolve(); } });
  });
  await runtime.stop();
}
main().catch((e) => { console.error(e); process.exit(1); });
