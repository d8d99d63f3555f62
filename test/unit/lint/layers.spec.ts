import path = require('node:path');
import should = require('should');
import { ESLint } from 'eslint';
import tseslint = require('typescript-eslint');

/*
 * The import rules of eslint.config.mjs keep the layers apart (docs/ARCHITECTURE.md "Layers"):
 * a deliberate violation, linted with the project's own config, must be reported. The files
 * are virtual, so the type-aware rules (which need them in a tsconfig) are left out here.
 */

const ROOT = path.join(__dirname, '..', '..', '..');

describe('lint: layer import rules', function () {
  this.timeout(60_000);
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: { ...tseslint.configs.disableTypeChecked, files: ['**/*.ts'] },
  });

  /** The layer-rule messages for `code` written at `file` (a path from the repo root). */
  async function violations(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    should(result!.messages.filter((m) => m.fatal)).eql([], `${file} did not parse`);
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  const cases: Array<[string, string, RegExp]> = [
    [
      'lib/fptr/x.ts',
      "import type { NodeAPI } from 'node-red';\nexport type X = NodeAPI;\n",
      /Only lib\/node-red\/ and nodes\//,
    ],
    [
      'lib/fptr/client/x.ts',
      "import express from 'express';\nexport const x = express;\n",
      /Only lib\/node-red\/ and nodes\//,
    ],
    [
      'lib/fptr/webhook/x.ts',
      "import { messages } from '../../node-red/i18n';\nexport const x = messages;\n",
      /lib\/node-red\/ is the Node-RED glue/,
    ],
    [
      'lib/util/y.ts',
      "import { isDelivery } from '../fptr/contract';\nexport const y = isDelivery;\n",
      /knows nothing of FPTR/,
    ],
    [
      'lib/util/y.ts',
      "import type { Node } from '@node-red/registry';\nexport type Y = Node;\n",
      /Only lib\/node-red\/ and nodes\//,
    ],
    [
      'lib/state/x.ts',
      "import type { NodeAPI } from 'node-red';\nexport type X = NodeAPI;\n",
      /Only lib\/node-red\/ and nodes\//,
    ],
    [
      'lib/state/x.ts',
      "import { siteOf } from '../node-red/site';\nexport const x = siteOf;\n",
      /lib\/node-red\/ is the Node-RED glue/,
    ],
    [
      'sim/z.ts',
      "import siteNode = require('../nodes/fptr-site');\nexport const z = siteNode;\n",
      /must not import the node files/,
    ],
    [
      'sim/z.ts',
      "import { siteOf } from '../lib/node-red/site';\nexport const z = siteOf;\n",
      /lib\/node-red\/ is the Node-RED glue/,
    ],
  ];
  for (const [file, code, reason] of cases) {
    it(`reports ${JSON.stringify(code.split('\n')[0])} in ${file}`, async function () {
      const found = await violations(file, code);
      should(found).have.length(1);
      found[0]!.should.match(reason);
    });
  }

  const allowed: Array<[string, string]> = [
    [
      'lib/node-red/x.ts',
      "import type { NodeAPI } from 'node-red';\nimport { isDelivery } from '../fptr/contract';\nexport type X = NodeAPI;\nexport const x = isDelivery;\n",
    ],
    [
      'nodes/fptr-x.ts',
      "import type { NodeAPI } from 'node-red';\nimport { siteOf } from '../lib/node-red/site';\nexport type X = NodeAPI;\nexport const x = siteOf;\n",
    ],
    ['lib/fptr/x.ts', "import { isObject } from '../util/is-object';\nexport const x = isObject;\n"],
    ['sim/z.ts', "import type { Delivery } from '../lib/fptr/contract';\nexport type Z = Delivery;\n"],
  ];
  for (const [file, code] of allowed) {
    it(`allows what ${file} may import`, async function () {
      should(await violations(file, code)).eql([]);
    });
  }
});
