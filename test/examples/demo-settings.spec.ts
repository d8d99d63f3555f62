import { spawn } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import { demoSettings } from '../../scripts/demo-settings';
import { freePort } from '../support/loopback';
import { redJsFor } from '../support/browser/node-red-process';
import { runtimePath } from '../support/runtime';

/**
 * `npm start`'s Node-RED, started with exactly the demo's settings: the editor must not open
 * with Node-RED's telemetry and update-notification prompt, which it shows while the runtime
 * reports `telemetryEnabled` unset (checkTelemetry in the editor of Node-RED 4.1 and 5).
 */
describe('npm start demo settings', function () {
  this.timeout(60_000);
  let work = '';
  let child: ReturnType<typeof spawn> | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('start Node-RED with telemetry and the update check off, so the editor asks nothing', async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-demo-settings-'));
    const uiPort = await freePort();
    const settings = demoSettings({ userDir: work, root: path.join(work, 'no-nodes'), host: '127.0.0.1', uiPort });
    const file = path.join(work, 'settings.js');
    fs.writeFileSync(file, `module.exports = ${JSON.stringify(settings)};\n`);
    child = spawn(process.execPath, [redJsFor(runtimePath), '--settings', file], { stdio: 'ignore' });
    const url = `http://127.0.0.1:${uiPort}/settings`;
    let editorSettings: Record<string, unknown> | undefined;
    for (let tries = 0; !editorSettings && tries < 300; tries++) {
      const res = await fetch(url).catch(() => undefined);
      if (res?.ok) editorSettings = (await res.json()) as Record<string, unknown>;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    should.exist(editorSettings, 'Node-RED did not start with the demo settings');
    should(editorSettings?.telemetryEnabled).equal(false);
    should(settings.telemetry).eql({ enabled: false, updateNotification: false });
  });
});
