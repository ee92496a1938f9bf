import type { BuiltinOperands } from './index.js';

/**
 * One operand of strings.any_prefix_match / any_suffix_match: a string, or an array or set of strings
 * (a set reaches the host as a JSON array). Anything else is OPA's operand type error: undefined.
 */
function stringsOperand(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value as string[];
  return undefined;
}

/**
 * OPA's anyAffixMatch (v1/topdown/strings.go): whether any search string starts (ends) with any base
 * string. A type error is undefined, as `opa eval` without strict builtin errors answers. Go compares
 * UTF-8 bytes; for the valid UTF-8 a policy holds that equals comparing JavaScript strings.
 */
function anyAffixMatch(operands: BuiltinOperands, suffix: boolean): boolean | undefined {
  const searches = stringsOperand(operands.json(0));
  if (!searches) return undefined;
  const bases = stringsOperand(operands.json(1));
  if (!bases) return undefined;
  const matches = (s: string, affix: string) => (suffix ? s.endsWith(affix) : s.startsWith(affix));
  return searches.some((s) => bases.some((b) => matches(s, b)));
}

export const anyPrefixMatch = (operands: BuiltinOperands) => anyAffixMatch(operands, false);
export const anySuffixMatch = (operands: BuiltinOperands) => anyAffixMatch(operands, true);
