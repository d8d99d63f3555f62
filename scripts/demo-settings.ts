/**
 * The Node-RED settings of `npm start`'s demo (scripts/start.ts), apart so a test can start
 * Node-RED with exactly these.
 */
export interface DemoSettingsOptions {
  userDir: string;
  /** The package folder, loaded from the working tree. */
  root: string;
  host: string;
  uiPort: number;
}

export function demoSettings({ userDir, root, host, uiPort }: DemoSettingsOptions): Record<string, unknown> {
  return {
    uiHost: host,
    uiPort,
    userDir,
    nodesDir: [root],
    flowFile: 'flows.json',
    // Demo-only secret: the demo user dir holds nothing but simulator credentials.
    credentialSecret: 'fptr-demo-only',
    // The demo never phones home: no telemetry, no update check, and so no first-start prompt
    // asking about them (the editor asks while `telemetryEnabled` is unset; Node-RED 4.1 and 5).
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
}
