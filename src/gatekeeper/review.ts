import { WasmgateError } from '../errors.js';
import { groupVersionKind, MatchError, matches, type KubeObject, type Match } from './match.js';
import { isRecord } from './json.js';

/**
 * `input.review` as Gatekeeper's Rego sees it: the AdmissionRequest as Go's encoding/json writes it
 * (uid, kind, resource, operation, userInfo always present; object and oldObject null when absent).
 */
export type GatekeeperReview = Readonly<Record<string, unknown>> & {
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: string;
  readonly object: KubeObject | null;
  readonly oldObject: KubeObject | null;
};


function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function gvk(value: unknown): { group: string; version: string; kind: string } {
  const v = isRecord(value) ? value : {};
  return { group: text(v.group), version: text(v.version), kind: text(v.kind) };
}

function gvr(value: unknown): { group: string; version: string; resource: string } {
  const v = isRecord(value) ? value : {};
  return { group: text(v.group), version: text(v.version), resource: text(v.resource) };
}

/**
 * A plain object as gator reviews it (target.unstructuredToAdmissionRequest): kind from its
 * apiVersion and kind, its name and namespace, and no operation.
 */
export function reviewOfObject(object: KubeObject): GatekeeperReview {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = text(metadata.name);
  const namespace = text(metadata.namespace);
  return {
    uid: '',
    kind: groupVersionKind(object),
    resource: { group: '', version: '', resource: '' },
    ...(name ? { name } : {}),
    ...(namespace ? { namespace } : {}),
    operation: '',
    userInfo: {},
    object,
    oldObject: null,
    options: null,
  };
}

/**
 * An AdmissionRequest (from the webhook or a gator case's AdmissionReview) as Gatekeeper hands it to
 * Rego. A DELETE is reviewed on its oldObject, which must be there (target.setObjectOnDelete).
 */
export function reviewOfRequest(request: Readonly<Record<string, unknown>>): GatekeeperReview {
  const object = isRecord(request.object) ? request.object : null;
  const oldObject = isRecord(request.oldObject) ? request.oldObject : null;
  if (!object && !oldObject) {
    throw new WasmgateError('INPUT_INVALID', 'the AdmissionRequest has neither an object nor an oldObject to review');
  }
  const operation = text(request.operation);
  if (operation === 'DELETE' && !oldObject) throw new WasmgateError('INPUT_INVALID', 'oldObject cannot be nil for DELETE operations');
  const optional = (key: string) => (request[key] !== undefined && request[key] !== null && request[key] !== '' ? { [key]: request[key] } : {});
  return {
    uid: text(request.uid),
    kind: gvk(request.kind),
    resource: gvr(request.resource),
    ...optional('subResource'),
    ...optional('requestKind'),
    ...optional('requestResource'),
    ...optional('requestSubResource'),
    ...optional('name'),
    ...optional('namespace'),
    operation,
    userInfo: isRecord(request.userInfo) ? request.userInfo : {},
    object: operation === 'DELETE' ? oldObject : object,
    oldObject,
    ...optional('dryRun'),
    options: request.options ?? null,
  };
}

/**
 * Gatekeeper's Matcher.Match for one constraint: the object or the old object must match; the
 * Namespace comes from `namespaceOf` (the inventory or the webhook's data) by the request's namespace.
 * Throws MatchError (an "autoreject" in Gatekeeper) when the match cannot be decided.
 */
export function reviewMatches(match: Match | undefined, review: GatekeeperReview, namespace: KubeObject | undefined): boolean {
  if (!match) return true;
  const objects = [review.object, review.oldObject].filter((o): o is KubeObject => o !== null);
  if (objects.length === 0) throw new MatchError('invalid request object: neither object nor old object are defined');
  for (const object of objects) {
    try {
      if (matches(match, { object, source: 'Original', ...(namespace ? { namespace } : {}) })) return true;
    } catch (err) {
      if (!(err instanceof MatchError)) throw err;
      const name = isRecord(object.metadata) ? text(object.metadata.name) : '';
      throw new MatchError(`error matching the requested object: ${name} :${err.message}`);
    }
  }
  return false;
}
