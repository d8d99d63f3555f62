import { readOwnPath } from '../util/own-property';

/**
 * Promise form of Node-RED's `RED.util.evaluateNodeProperty`, typed structurally so this module
 * needs no Node-RED import. Errors name the property, because "Unexpected token }" alone does not
 * tell a user which field of the node to fix.
 */

export interface TypedValue {
  value: string;
  type: string;
}

export type EvaluateNodeProperty<N, M> = (
  value: string,
  type: string,
  node: N,
  msg: M,
  callback: (err: Error | null, result?: unknown) => void,
) => void;

/** Node-RED's path parser (`RED.util.normalisePropertyExpression`): `payload["a"][0]` → ['payload', 'a', 0]. */
export type NormaliseExpression<M> = (expression: string, msg: M) => Array<string | number>;

/**
 * `evaluate`, but reading `msg` properties through own properties only: Node-RED's reader hands
 * out inherited members (`payload.constructor` is `Object`), which no sender put in a message.
 */
export function ownMessageProperties<N, M>(evaluate: EvaluateNodeProperty<N, M>, normalise: NormaliseExpression<M>): EvaluateNodeProperty<N, M> {
  return (value, type, node, msg, callback) => {
    if (type !== 'msg') {
      evaluate(value, type, node, msg, callback);
      return;
    }
    let parts: Array<string | number>;
    try {
      parts = normalise(value.startsWith('msg.') ? value.slice(4) : value, msg);
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    callback(null, readOwnPath(msg, parts));
  };
}

export class PropertyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyError';
  }
}

export function evaluateTyped<N, M>(evaluate: EvaluateNodeProperty<N, M>, node: N, msg: M, prop: TypedValue, label: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => {
      reject(new PropertyError(`${label} (${prop.type} ${prop.value}): ${err instanceof Error ? err.message : String(err)}`));
    };
    try {
      // `json` and `jsonata` parse errors are thrown synchronously, not passed to the callback.
      evaluate(prop.value, prop.type, node, msg, (err, result) => {
        // A msg path through a missing object (msg.fptr.deliveryId without msg.fptr) is simply
        // absent; Node-RED reports it as a TypeError, a malformed path as a plain Error.
        if (err && !(prop.type === 'msg' && err instanceof TypeError)) fail(err);
        else resolve(err ? undefined : result);
      });
    } catch (err) {
      fail(err);
    }
  });
}
