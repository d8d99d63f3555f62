import fc from 'fast-check';
import should = require('should');
import { FptrClient } from '../../../../lib/fptr/client/client';
import { FptrError } from '../../../../lib/fptr/client/fptr-error';
import {
  readEntityTypes,
  readFields,
  SCHEMA_LIMITS,
  type SchemaEntityType,
  type SchemaField,
} from '../../../../lib/fptr/client/schema';
import { SchemaCache } from '../../../../lib/fptr/client/schema-cache';
import { FptrSimulator } from '../../../../sim';

const FIELDS = 'GET /api/v1/schema/{type}/fields';
const TYPES = 'GET /api/v1/schema';

describe('schema reads for the editor pickers, against the simulator', () => {
  let sim: FptrSimulator;
  let client: FptrClient;

  beforeEach(async () => {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
    const { scriptName, scriptKey } = FptrSimulator.DEMO;
    client = new FptrClient({
      url: sim.url,
      auth: { grant: 'client_credentials', scriptName, scriptKey },
      retryBaseMs: 5,
      retryMaxMs: 20,
    });
  });
  afterEach(async () => {
    await client.close();
    await sim.close();
  });

  it('lists the entity types with their display names', async () => {
    const types = readEntityTypes(await client.readSchema());
    const byName = new Map(types.map((t) => [t.name, t]));
    should(byName.get('Task')).eql({ name: 'Task', label: 'Task', visible: true });
    should(byName.get('HumanUser')).eql({ name: 'HumanUser', label: 'Person', visible: true });
    should([...byName.keys()]).containDeep(['Asset', 'EventLogEntry', 'Note', 'Project', 'Shot', 'Version']);
    should(types.map((t) => t.name)).eql([...types.map((t) => t.name)].sort());
  });

  it('lists the fields of a type with data types, status codes and their names, and link targets', async () => {
    const fields = new Map(readFields(await client.readSchemaFields('Task')).map((f) => [f.name, f]));
    should(fields.get('sg_status_list')).eql({
      name: 'sg_status_list',
      label: 'Status',
      dataType: 'status_list',
      validValues: ['wtg', 'rdy', 'ip', 'rev', 'fin', 'hld', 'omt'],
      displayValues: Object.assign(Object.create(null) as object, {
        wtg: 'Waiting to Start',
        rdy: 'Ready to Start',
        ip: 'In Progress',
        rev: 'Pending Review',
        fin: 'Final',
        hld: 'On Hold',
        omt: 'Omit',
      }),
    });
    should(fields.get('content')).eql({ name: 'content', label: 'Task Name', dataType: 'text' });
    should(fields.get('step')?.validTypes).eql(['Step']);
    // Versions have their own statuses: the picker must offer the field's own codes.
    const version = readFields(await client.readSchemaFields('Version')).find((f) => f.name === 'sg_status_list');
    should(version?.validValues).eql(['na', 'rev', 'vwd', 'apr', 'fin']);
  });

  it('accepts the plural path form of a type name, as entity paths do', async () => {
    const fields = readFields(await client.readSchemaFields('tasks'));
    should(fields.map((f) => f.name)).containEql('sg_status_list');
  });

  it("rejects an unknown entity type with FPTR's 404, so the editor can mark the name", async () => {
    const err = await client.readSchemaFields('Tsak').then(
      () => null,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(FptrError);
    should((err as FptrError).status).eql(404);
  });

  describe('SchemaCache', () => {
    it('reads each part once for any number of callers, also concurrent ones', async () => {
      const cache = new SchemaCache(client);
      const [a, b] = await Promise.all([cache.entityTypes(), cache.entityTypes()]);
      await cache.entityTypes();
      should(a).equal(b);
      const fields = await Promise.all([cache.fields('Task'), cache.fields('Task'), cache.fields('Shot')]);
      should(fields[0]).equal(fields[1]);
      should(sim.stats.byRoute[TYPES]).eql(1);
      should(sim.stats.byRoute[FIELDS]).eql(2);
    });

    it('reads the site again after refresh()', async () => {
      const cache = new SchemaCache(client);
      await cache.entityTypes();
      await cache.fields('Task');
      cache.refresh();
      await cache.entityTypes();
      await cache.fields('Task');
      should(sim.stats.byRoute[TYPES]).eql(2);
      should(sim.stats.byRoute[FIELDS]).eql(2);
    });

    it('keeps no failure: the next ask after a failed read tries again', async () => {
      const cache = new SchemaCache(client);
      sim.faults.add({ path: '/api/v1/schema', status: 403, times: 2 });
      should(((await cache.entityTypes().catch((e: FptrError) => e)) as FptrError).status).eql(403);
      should(((await cache.fields('Task').catch((e: FptrError) => e)) as FptrError).status).eql(403);
      should((await cache.entityTypes()).length).be.above(5);
      should((await cache.fields('Task')).length).be.above(5);
    });

    it('does not let a read that fails after a refresh drop the newer read', async () => {
      // The first read is held until the refresh and its successor have started, then fails.
      let failFirst: (err: Error) => void = () => undefined;
      let calls = 0;
      const cache = new SchemaCache({
        readSchema: () => (++calls === 1 ? new Promise((_, reject) => (failFirst = reject)) : client.readSchema()),
        readSchemaFields: (type) => client.readSchemaFields(type),
      });
      const failing = cache.entityTypes().then(
        () => 'ok',
        () => 'failed',
      );
      cache.refresh();
      const fresh = cache.entityTypes();
      failFirst(new Error('site went away'));
      should(await failing).eql('failed');
      should(await cache.entityTypes()).equal(await fresh);
      should(calls).eql(2);
    });
  });
});

describe('schema answers read defensively (their REST shape is partly UNCONFIRMED)', () => {
  it('takes bare values as well as {value, editable} attributes', () => {
    should(
      readFields({
        sg_status_list: { name: 'Status', data_type: 'status_list', properties: { valid_values: ['a', 'b'] } },
      }),
    ).eql([{ name: 'sg_status_list', label: 'Status', dataType: 'status_list', validValues: ['a', 'b'] }]);
  });

  it('leaves status codes out (free text) when the answer does not list them as an array', () => {
    for (const properties of [
      undefined,
      {},
      { valid_values: null },
      { valid_values: { value: 'wtg,ip' } },
      { valid_values: { value: { wtg: 1 } } },
    ]) {
      const [field] = readFields({
        sg_status_list: { data_type: { value: 'status_list' }, properties: { value: properties } },
      });
      should(field).not.have.property('validValues');
      should(field?.dataType).eql('status_list');
    }
  });

  it('keeps an empty list of codes apart from an unknown one', () => {
    should(readFields({ f: { properties: { value: { valid_values: { value: [] } } } } })[0]?.validValues).eql([]);
  });

  it('marks hidden types and names unnamed ones by their schema name', () => {
    should(readEntityTypes({ CustomEntity07: { name: { value: '' }, visible: { value: false } }, Shot: null })).eql([
      { name: 'CustomEntity07', label: 'CustomEntity07', visible: false },
      { name: 'Shot', label: 'Shot', visible: true },
    ]);
  });

  it('drops names with control characters and strips them from labels', () => {
    should(readFields({ 'bad\nname': {}, ok: { name: { value: 'A\u001b[31m label' } } })).eql([
      { name: 'ok', label: 'A [31m label', dataType: '' },
    ]);
  });

  it('gives nothing for answers that are not objects', () => {
    for (const data of [undefined, null, 'schema', 42, [], [{ name: 'Task' }]]) {
      should(readEntityTypes(data)).eql([]);
      should(readFields(data)).eql([]);
    }
  });

  it('never throws and keeps only well-formed, bounded entries, whatever JSON a site sends', () => {
    const attr = (inner: fc.Arbitrary<unknown>) => fc.oneof(inner, fc.record({ value: inner, editable: fc.boolean() }));
    const field = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          name: attr(fc.jsonValue()),
          data_type: attr(fc.jsonValue()),
          properties: attr(
            fc.dictionary(fc.constantFrom('valid_values', 'display_values', 'valid_types', 'x'), attr(fc.jsonValue())),
          ),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), field)), (data) => {
        const copy = JSON.parse(JSON.stringify(data ?? null)) as unknown;
        checkTypes(readEntityTypes(copy));
        checkFields(readFields(copy));
      }),
      { numRuns: 500 },
    );
  });
});

function wellFormedName(name: unknown): void {
  should(name).be.a.String();
  const text = name as string;
  should(text.trim()).not.eql('');
  should(text.length).be.belowOrEqual(SCHEMA_LIMITS.nameLength);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not be there
  should(text).not.match(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
}

function checkTypes(types: SchemaEntityType[]): void {
  should(types.length).be.belowOrEqual(SCHEMA_LIMITS.entityTypes);
  for (const t of types) {
    wellFormedName(t.name);
    wellFormedName(t.label);
    should(t.visible).be.a.Boolean();
  }
}

function checkFields(fields: SchemaField[]): void {
  for (const f of fields) {
    wellFormedName(f.name);
    wellFormedName(f.label);
    should(f.dataType).be.a.String();
    for (const list of [f.validValues, f.validTypes]) {
      if (list === undefined) continue;
      should(list.length).be.belowOrEqual(SCHEMA_LIMITS.values);
      list.forEach(wellFormedName);
      should(new Set(list).size).eql(list.length);
    }
    for (const [code, label] of Object.entries(f.displayValues ?? {})) {
      wellFormedName(code);
      wellFormedName(label);
    }
  }
}
