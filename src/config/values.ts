/**
 * Parsers for configuration values as they arrive from flags and environment variables (strings) or
 * from the YAML file (strings, numbers, booleans). Each returns the value or throws a plain Error whose
 * message says what was expected; the caller adds which key and which source it came from.
 */

export type Parser<T> = (raw: unknown) => T;

function text(raw: unknown): string {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new Error(`expected a single value, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
}

export function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    const s = text(raw);
    if (!/^-?\d+$/.test(s)) throw new Error(`expected a whole number, got ${JSON.stringify(s)}`);
    const n = Number(s);
    if (n < min || n > max) throw new Error(`expected a whole number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

export const boolean: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  const s = text(raw).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  throw new Error(`expected true or false, got ${JSON.stringify(s)}`);
};

export function string(check?: { pattern: RegExp; hint: string }): Parser<string> {
  return (raw) => {
    const s = text(raw);
    if (s === '') throw new Error('expected a non-empty value');
    if (check && !check.pattern.test(s)) throw new Error(`expected ${check.hint}, got ${JSON.stringify(s)}`);
    return s;
  };
}

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    const s = text(raw);
    if (!values.includes(s as T)) throw new Error(`expected one of ${values.join(', ')}, got ${JSON.stringify(s)}`);
    return s as T;
  };
}

const byteUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  ki: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A size: a number of bytes, or a number with a binary unit ("8MiB", "512k", "1Gi"). */
export function bytes(min: number, max: number): Parser<number> {
  return (raw) => {
    const s = text(raw);
    const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s);
    const unit = match ? byteUnits[match[2]!.toLowerCase()] : undefined;
    if (!match || unit === undefined) throw new Error(`expected a size such as 8MiB, 512KiB or 1048576, got ${JSON.stringify(s)}`);
    const n = Math.floor(Number(match[1]) * unit);
    if (n < min || n > max) throw new Error(`expected a size from ${min} to ${max} bytes, got ${n}`);
    return n;
  };
}

const durationUnits: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000 };

/** A duration: milliseconds, or a number with a unit ("250ms", "3s", "2m"). */
export function duration(min: number, max: number): Parser<number> {
  return (raw) => {
    const s = text(raw);
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/i.exec(s);
    if (!match) throw new Error(`expected a duration such as 250ms, 3s or 2m (a bare number is milliseconds), got ${JSON.stringify(s)}`);
    const n = Math.round(Number(match[1]) * durationUnits[(match[2] ?? '').toLowerCase()]!);
    if (n < min || n > max) throw new Error(`expected a duration from ${min} ms to ${max} ms, got ${n} ms`);
    return n;
  };
}
