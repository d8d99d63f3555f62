import helper = require('node-red-node-test-helper');

/**
 * The Node-RED runtime the suite runs against: the dev dependency (4.1.x) by default, or the
 * `red.js` named by FPTR_NODE_RED_RUNTIME (CI points it at Node-RED 5 under Node 22).
 */
export const runtimePath = process.env.FPTR_NODE_RED_RUNTIME ?? require.resolve('node-red');

helper.init(runtimePath);

export { helper };
