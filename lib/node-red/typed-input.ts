import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { InputError, messageOf } from '../util/errors';
import { readOwnPath } from '../util/own-property';

/** A typedInput setting of a node: its value and its type (`msg`, `str`, `json`, `env`, …). */
export interface TypedValue {
  value: string;
  type: string;
}

export class PropertyError extends InputError {}

/**
 * A typedInput setting as saved (`<property>` and `<property>Type`), or the editor's default
 * for a property the flow does not have (a node saved before the property existed, or written
 * by hand).
 */
export function configured(value: string | undefined, type: string | undefined, fallback: TypedValue): TypedValue {
  return { value: value ?? fallback.value, type: type || fallback.type };
}

/** Reads a node's typedInput settings for one message. */
export interface PropertyReader {
  /** The value, or a rejection with Node-RED's own error. */
  read(msg: NodeMessage, prop: TypedValue): Promise<unknown>;
  /** The value, or a PropertyError naming the setting: "Unexpected token }" alone does not tell a user which field to fix. */
  evaluate(msg: NodeMessage, prop: TypedValue, label: string): Promise<unknown>;
}

/**
 * Node-RED's `RED.util.evaluateNodeProperty`, promised, with `msg` properties read through own
 * properties only: Node-RED's reader hands out inherited members (`payload.constructor` is
 * `Object`), which no sender put in a message.
 */
export function propertyReader(RED: Pick<NodeAPI, 'util'>, node: Node): PropertyReader {
  const read = (msg: NodeMessage, prop: TypedValue): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (prop.type === 'msg') {
        // A malformed path is Node-RED's error; a path through a missing object is simply absent.
        const parts = RED.util.normalisePropertyExpression(
          prop.value.startsWith('msg.') ? prop.value.slice(4) : prop.value,
          msg,
        );
        resolve(readOwnPath(msg, parts));
        return;
      }
      // `json` and `jsonata` parse errors are thrown synchronously, not passed to the callback.
      RED.util.evaluateNodeProperty(prop.value, prop.type, node, msg, (err: Error | null, result: unknown) => {
        if (err) reject(err);
        else resolve(result);
      });
    });
  return {
    read,
    evaluate: (msg, prop, label) =>
      read(msg, prop).catch((err: unknown) => {
        throw new PropertyError(`${label} (${prop.type} ${prop.value}): ${messageOf(err)}`);
      }),
  };
}
