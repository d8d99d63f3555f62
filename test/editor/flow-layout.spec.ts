import should = require('should');
import { layoutProblems, widestStatus, type Box, type RenderedNode } from '../support/browser/flow-layout';

/** The browser test's layout rules on boxes made up here: what it must catch, and what it must let pass. */
describe('example layout check (the rules the browser test applies to rendered boxes)', () => {
  const view: Box = { left: 0, top: 0, right: 900, bottom: 700 };
  const box = (left: number, top: number, width: number, height: number): Box => ({
    left,
    top,
    right: left + width,
    bottom: top + height,
  });
  const node = (id: string, type: string, parts: RenderedNode['parts'], name = id): RenderedNode => ({
    id,
    type,
    name,
    parts,
  });
  const body = (left: number, top: number, width = 120) => ({ part: 'node' as const, box: box(left, top, width, 30) });
  const status = (left: number, top: number, width: number) => ({
    part: 'status' as const,
    box: box(left, top + 33, width, 14),
  });

  it('passes nodes that keep apart, statuses included', () => {
    const nodes = [
      node('a', 'fptr-find', [body(20, 100), status(23, 100, 200)]),
      node('b', 'fptr-find', [body(260, 100), status(263, 100, 100)]),
      node('readme', 'comment', [body(20, 20, 500)], 'Flow: read me'),
    ];
    should(layoutProblems('example', { nodes, view })).eql([]);
  });

  it("flags a status that runs into the next node's status, and a body on a body", () => {
    const nodes = [
      node('a', 'fptr-find', [body(20, 100), status(23, 100, 300)]),
      node('b', 'fptr-find', [body(200, 100), status(203, 100, 100)]),
      node('c', 'function', [body(100, 110)]),
    ];
    const problems = layoutProblems('example', { nodes, view }).map((p) => p.problem);
    problems.should.containEql(`fptr-find "a"'s node overlaps function "c"'s node`);
    problems.should.containEql(`fptr-find "a"'s status overlaps fptr-find "b"'s status`);
    problems.should.containEql(`fptr-find "b"'s node overlaps function "c"'s node`);
  });

  it('flags a node past the left or top edge and a read-me comment that starts off-screen', () => {
    const nodes = [
      node('readme', 'comment', [body(-40, 20, 800)], 'Flow: read me (what to change)'),
      node('low', 'function', [body(20, 900)]),
      node('high', 'function', [body(800, -5)]),
    ];
    const problems = layoutProblems('example', { nodes, view }).map((p) => p.problem);
    problems.should.containEql(
      'comment "Flow: read me (what to change)": its node starts past the canvas edge at (-40, 20)',
    );
    problems.should.containEql('comment "Flow: read me (what to change)" does not start on-screen when the tab opens');
    problems.should.containEql('function "high": its node starts past the canvas edge at (800, -5)');
    problems.should.have.length(3);
  });

  it("shows each node type's widest catalog status, with the node's own path", () => {
    const catalog = {
      'fptr-webhook-in': { status: { listening: 'POST __path__ · __in__ in', invalid: 'invalid path' } },
    };
    should(widestStatus(catalog, { type: 'fptr-webhook-in', url: '/fptr/hook' })).equal('POST /fptr/hook · 12 in');
    should(widestStatus(catalog, { type: 'function' })).be.undefined();
    should(widestStatus(undefined, { type: 'debug' })).be.undefined();
  });
});
