import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import should = require('should');
import { writeAtomically } from '../../../../lib/fptr/files/atomic-file';

describe('writeAtomically', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fptr-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the temporary file and keeps the old one when the bytes fail half-way', async () => {
    const target = join(dir, 'a.bin');
    writeFileSync(target, 'old');
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('new bytes');
      throw new Error('connection reset');
    }
    await should(writeAtomically(target, broken())).be.rejectedWith('connection reset');
    should(readFileSync(target, 'utf8')).eql('old');
    should(readdirSync(dir)).eql(['a.bin']);
  });

  it('writes every byte of many chunks', async () => {
    const chunks = Array.from({ length: 50 }, () => randomBytes(10_000));
    async function* all(): AsyncGenerator<Buffer> {
      yield* chunks;
    }
    const target = join(dir, 'b.bin');
    should(await writeAtomically(target, all())).eql(500_000);
    should(readFileSync(target).equals(Buffer.concat(chunks))).be.true();
  });
});
