/**
 * What of a client's input may come back in an error message or go into a log line: short strings,
 * cut to a bound; anything else by its type only, never its content (an object put where a string
 * belongs may hold a password).
 */

/** Code points of a client's string that an error message quotes. */
export const messageEchoLimit = 64;
/** Code points of a client's string that a log field keeps. */
export const logEchoLimit = 256;

/** The text cut to `max` code points (ending in "…" when cut), without spreading a huge string whole. */
function cut(text: string, max: number): { text: string; cut: boolean } {
  // At most `max` code units are at most `max` code points: the usual case (every field of every log line) spreads nothing.
  if (text.length <= max) return { text, cut: false };
  const points = [...text.slice(0, max * 2 + 2)];
  return points.length <= max ? { text, cut: false } : { text: `${points.slice(0, max - 1).join('')}…`, cut: true };
}

function typeOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

/** For an error message: a string quoted and cut (its length said when cut), anything else its type. */
export function describeValue(value: unknown, max: number = messageEchoLimit): string {
  if (typeof value !== 'string') return typeOf(value);
  const shown = cut(value, max);
  return shown.cut ? `${JSON.stringify(shown.text)} (${value.length} characters)` : JSON.stringify(value);
}

/** A client's string cut to the bound, unquoted (a path, a header value). */
export function shortText(text: string, max: number = messageEchoLimit): string {
  return cut(text, max).text;
}

/** For a log field: a string cut to the bound; anything else `<its type>`; missing stays missing. */
export function logValue(value: unknown, max: number = logEchoLimit): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? cut(value, max).text : `<${typeOf(value)}>`;
}
