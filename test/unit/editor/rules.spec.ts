import vm = require('node:vm');
import should = require('should');
import fc = require('fast-check');
import { bundleSource, GLOBAL_NAME } from '../../../scripts/editor-bundle';
import { ACK_STATUSES } from '../../../lib/fptr/actions/acknowledgement';
import { RETURN_ONLY } from '../../../lib/fptr/actions/find-options';
import { MULTI_ENTITY_MODES } from '../../../lib/fptr/actions/update-ops';
import { OPERATIONS } from '../../../lib/fptr/contract';
import { VALUE_OPERATORS } from '../../../lib/fptr/events/conditions';
import { COMMIT_MODES, FAILURE_MODES, START_KINDS } from '../../../lib/fptr/events/event-log-settings';
import { VALUE_TYPES } from '../../../lib/fptr/events/filter-settings';
import { SHARED_RULES } from '../../support/editor-rules';

/*
 * "The editor rejects exactly what the runtime rejects": the browser bundle, built as the
 * package builds it and run in a fresh context like a browser runs it, against what a deploy
 * does with the same values (test/support/editor-rules.ts). The browser test checks the
 * same table through each node's editor definition.
 */

type Validators = Record<string, Record<string, (value: unknown) => boolean>>;

describe('editor rules: the bundle agrees with the runtime', function () {
  let editor: Validators;

  before(async function () {
    this.timeout(30_000);
    const context = vm.createContext({ URL });
    vm.runInContext(await bundleSource(), context);
    editor = (context as Record<string, unknown>)[GLOBAL_NAME] as Validators;
  });

  it('defines the global once, however often a page loads it', async function () {
    const context = vm.createContext({ URL });
    const source = await bundleSource();
    vm.runInContext(source, context);
    const first = (context as Record<string, unknown>)[GLOBAL_NAME];
    vm.runInContext(source, context);
    should((context as Record<string, unknown>)[GLOBAL_NAME]).equal(first);
  });

  for (const rule of SHARED_RULES) {
    describe(`${rule.type} ${rule.property}`, function () {
      const validator = (): ((value: unknown) => boolean) => editor[rule.bundle[0]]![rule.bundle[1]]!;

      it('on the named values', function () {
        const disagree = rule.cases.filter((value) => validator()(value) !== rule.runtime(value));
        should(disagree).eql([], 'the editor and the runtime disagree on these');
      });

      it('on random values (property)', function () {
        fc.assert(
          fc.property(rule.arbitrary, (value) => {
            should(validator()(value)).equal(rule.runtime(value), JSON.stringify(value));
          }),
          { numRuns: 300 },
        );
      });
    });
  }

  it('refuses ":::" and "1:2:3" and accepts "fe80::1%eth0" in an allow-list, as a deploy does', function () {
    editor.webhook!.addresses!([':::']).should.be.false();
    editor.webhook!.addresses!(['1:2:3']).should.be.false();
    editor.webhook!.addresses!(['fe80::1%eth0']).should.be.true();
  });

  it('offers the lists the runtime accepts', function () {
    // Arrays of the bundle's own realm, copied to compare them with this one's.
    const list = (group: string, name: string): unknown[] =>
      Array.from((editor as unknown as Record<string, Record<string, unknown[]>>)[group]![name]!);
    list('eventFilter', 'operations').should.eql([...OPERATIONS]);
    list('update', 'operations').should.eql([...OPERATIONS]);
    list('eventFilter', 'valueOperators').should.eql([...VALUE_OPERATORS]);
    list('eventFilter', 'valueTypes').should.eql([...VALUE_TYPES]);
    list('update', 'multiEntityModes').should.eql([...MULTI_ENTITY_MODES]);
    list('acknowledge', 'statuses').should.eql([...ACK_STATUSES]);
    list('find', 'returnOnly').should.eql([...RETURN_ONLY]);
    list('eventsIn', 'startKinds').should.eql([...START_KINDS]);
    list('eventsIn', 'commitModes').should.eql([...COMMIT_MODES]);
    list('eventsIn', 'failureModes').should.eql([...FAILURE_MODES]);
  });
});
