/**
 * The PSP oracle's line protocol (scripts/psp/cmd/psporacle; README "Differential test against
 * Kubernetes' PSP plugin"): one case per line in, one answer per line out, in order.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface UserInfo {
  readonly username: string;
  readonly groups: readonly string[];
}

export interface PspCase {
  readonly id: string;
  readonly policies: readonly JsonObject[];
  readonly rbac: readonly JsonObject[];
  readonly userInfo: UserInfo;
  readonly namespace: string;
  readonly operation: 'CREATE' | 'UPDATE';
  readonly pod: JsonObject;
  readonly oldPod?: JsonObject;
}

export interface OracleAnswer {
  readonly id: string;
  readonly allowed: boolean;
  /** The PSP that admitted the pod (CREATE: its kubernetes.io/psp annotation; UPDATE: the one that validated it). */
  readonly psp: string | null;
  /** The pod after the plugin's Admit (as v1 JSON). */
  readonly pod?: JsonObject;
  /** The pod as the API server hands it to admission (v1 defaults applied): what a webhook is sent. */
  readonly input?: JsonObject;
  readonly oldInput?: JsonObject;
  readonly message?: string;
  /** The API server would refuse an object of the case itself; the plugin did not run. */
  readonly invalid?: string;
  /** The line could not be handled at all (a protocol error). */
  readonly error?: string;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses one answer line; a line that is not an answer is an error naming the line. */
export function parseOracleAnswer(line: string): OracleAnswer {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw new Error(`the PSP oracle answered a line that is not JSON (${(err as Error).message}): ${line.slice(0, 200)}`);
  }
  if (!isObject(raw) || typeof raw.id !== 'string' || typeof raw.allowed !== 'boolean' || !(raw.psp === null || typeof raw.psp === 'string')) {
    throw new Error(`the PSP oracle answered a line without id/allowed/psp: ${line.slice(0, 200)}`);
  }
  const optionalObject = (key: string): JsonObject | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!isObject(v)) throw new Error(`the PSP oracle's answer ${String(raw.id)}: ${key} is not an object`);
    return v;
  };
  const optionalString = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`the PSP oracle's answer ${String(raw.id)}: ${key} is not a string`);
    return v;
  };
  const answer: OracleAnswer = {
    id: raw.id,
    allowed: raw.allowed,
    psp: raw.psp,
    pod: optionalObject('pod'),
    input: optionalObject('input'),
    oldInput: optionalObject('oldInput'),
    message: optionalString('message'),
    invalid: optionalString('invalid'),
    error: optionalString('error'),
  };
  return answer;
}
