import { randomBytes } from 'node:crypto';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import type { FlatRecord } from '../../lib/fptr/client/api';
import { helper } from '../support/runtime';
import { DEMO, ExampleRun, waitFor, type Msg } from '../support/examples';

const RENDER = 'render-done-to-version.json';
const MB = 1024 * 1024;

/** Clicks one of the example's inject nodes. */
function inject(id: string): void {
  (helper.getNode(id) as unknown as { receive(msg: Msg): void }).receive({});
}

/*
 * examples/render-done-to-version.json as shipped, against the simulator with an S3-like
 * storage host: the render's files come from a temporary folder (the tab's FPTR_RENDERS), the
 * review copy goes to another (FPTR_REVIEW).
 */
describe('example: render done → Version with movie and thumbnail', function () {
  this.timeout(20_000);
  const run = new ExampleRun();
  let renders = '';
  let review = '';
  let movie: Buffer;

  beforeEach(async function () {
    await run.start({ storage: 's3' });
    renders = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-renders-'));
    review = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-review-'));
    movie = randomBytes(3 * MB);
  });

  afterEach(async function () {
    await run.stop();
    fs.rmSync(renders, { recursive: true, force: true });
    fs.rmSync(review, { recursive: true, force: true });
  });

  const versionsNamed = (code: string): FlatRecord[] => run.sim.find('Version').filter((v) => v.code === code);

  it('creates the Version on the Shot, uploads the movie and thumbnail, links the Task; the review chain saves the movie back byte-identical', async function () {
    fs.writeFileSync(path.join(renders, 'sh010_comp_v003.mov'), movie);
    fs.writeFileSync(path.join(renders, 'sh010_comp_v003.jpg'), randomBytes(20_000));
    await run.load(RENDER, { FPTR_RENDERS: renders, FPTR_REVIEW: review });
    const ready = run.tap('fptr-ex-render-ok');
    const failed = run.tap('fptr-ex-render-failed');
    const saved = run.tap('fptr-ex-render-saved');

    inject('fptr-ex-render-done');
    await waitFor(() => ready[0] ?? failed[0], 'the Version to be ready (or a failure)', 15_000);
    should(failed.map((m) => (m.error as { message: string }).message)).eql([]);

    const [version] = versionsNamed('sh010_comp_v003');
    should(version).be.ok();
    should(version.entity).match({ type: 'Shot', id: DEMO.shotIds.sh010 });
    should(version.project).match({ type: 'Project', id: DEMO.projectId });
    should(version.sg_task).match({ type: 'Task', id: DEMO.taskIds['sh010/Comp'] });
    should(version.sg_uploaded_movie).match({ name: 'sh010_comp_v003.mov', link_type: 'upload' });
    should(version.image).be.a.String();
    should(
      run.sim.storage
        .objects()
        .map((o) => [o.filename, o.size])
        .sort(),
    ).eql([
      ['sh010_comp_v003.jpg', 20_000],
      ['sh010_comp_v003.mov', movie.length],
    ]);

    inject('fptr-ex-render-review');
    await waitFor(() => saved[0] ?? failed[0], 'the review copy (or a failure)', 15_000);
    should(failed).have.length(0);
    const copy = path.join(review, 'sh010_comp_v003.mov');
    should(saved[0].payload).eql(copy);
    should(fs.readFileSync(copy).equals(movie)).be.true();
    should(fs.readdirSync(review)).eql(['sh010_comp_v003.mov']);

    // The site's bearer token went to the site only, never to the storage host.
    const external = run.sim.storage.requests().filter((r) => r.host === 'storage');
    should(external.map((r) => r.method).sort()).containDeep(['GET', 'PUT', 'PUT']);
    for (const r of external) should(r.headers).not.have.property('authorization');
  });

  it('reports a missing movie through its Catch node with the path, and stops before linking the Task', async function () {
    await run.load(RENDER, { FPTR_RENDERS: renders, FPTR_REVIEW: review });
    const ready = run.tap('fptr-ex-render-ok');
    const failed = run.tap('fptr-ex-render-failed');

    inject('fptr-ex-render-done');
    const caught = await waitFor(() => failed[0], 'the failure');
    should((caught.error as { message: string }).message).match(/Could not read the file to upload/);
    should((caught.error as { message: string }).message).containEql(path.join(renders, 'sh010_comp_v003.mov'));
    should(ready).have.length(0);
    should(versionsNamed('sh010_comp_v003')[0]?.sg_task).be.null();
    should(run.sim.storage.objects()).eql([]);
  });
});
