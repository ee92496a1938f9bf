/** A JSON object (not null, not an array): what Kubernetes objects and their fields are read as. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
