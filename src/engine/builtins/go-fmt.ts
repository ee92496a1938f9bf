/**
 * Go's fmt.Sprintf for the argument types OPA's sprintf hands it: int64 or *big.Int for integral
 * numbers, float64 for numbers written with a fraction or exponent, and string for everything else
 * (strings as they are, other values in policy syntax). Mismatched verbs print as Go prints them
 * (`%!d(string=x)`), so a policy's message reads the same under `opa eval` and under wasmgate.
 */
import { goQuote } from './rego-value.js';

export type GoArg =
  | { readonly kind: 'int'; readonly value: bigint; readonly goType: 'int64' | '*big.Int' }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string };

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  precision?: number;
  verb: string;
}

export function goSprintf(format: string, args: readonly GoArg[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, zero: false, space: false, verb: '' };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === '0') spec.zero = true;
      else if (c === ' ') spec.space = true;
      else break;
    }
    const width = /^\d+/.exec(format.slice(i));
    if (width) {
      spec.width = Number(width[0]);
      i += width[0].length;
    }
    if (format[i] === '.') {
      i++;
      const precision = /^\d+/.exec(format.slice(i));
      spec.precision = precision ? Number(precision[0]) : 0;
      if (precision) i += precision[0].length;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    spec.verb = verb;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const arg = args[argIndex++];
    if (arg === undefined) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(arg, spec);
  }
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args
      .slice(argIndex)
      .map((a) => `${typeName(a)}=${formatArg(a, { ...blankSpec, verb: 'v' })}`)
      .join(', ')})`;
  }
  return out;
}

const blankSpec: Spec = { minus: false, plus: false, sharp: false, zero: false, space: false, verb: 'v' };

function typeName(arg: GoArg): string {
  return arg.kind === 'int' ? arg.goType : arg.kind === 'float' ? 'float64' : 'string';
}

/** Go prints a verb that does not fit its operand as %!verb(type=value), the value under the same flags. */
function badVerb(arg: GoArg, spec: Spec): string {
  if (arg.kind === 'int' && arg.goType === '*big.Int') {
    // *big.Int formats itself and reports a bad verb its own way.
    return `%!${spec.verb}(big.Int=${arg.value.toString()})`;
  }
  return `%!${spec.verb}(${typeName(arg)}=${formatArg(arg, { ...spec, verb: 'v' })})`;
}

function formatArg(arg: GoArg, spec: Spec): string {
  switch (arg.kind) {
    case 'string':
      return formatString(arg, spec);
    case 'int':
      return formatInt(arg, spec);
    case 'float':
      return formatFloat(arg, spec);
  }
}

function pad(s: string, spec: Spec, zeroAllowed = false): string {
  const width = spec.width ?? 0;
  // Counting code points copies the string: only when there is a width to reach.
  if (width === 0) return s;
  const length = [...s].length;
  if (length >= width) return s;
  const fill = width - length;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && zeroAllowed) {
    const sign = /^[-+ ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function formatString(arg: Extract<GoArg, { kind: 'string' }>, spec: Spec): string {
  let s = arg.value;
  switch (spec.verb) {
    case 'v':
    case 's':
      if (spec.precision !== undefined) s = [...s].slice(0, spec.precision).join('');
      return pad(s, spec, true);
    case 'q':
      if (spec.precision !== undefined) s = [...s].slice(0, spec.precision).join('');
      return pad(spec.sharp && !/[`\p{Cc}]/u.test(s) ? `\`${s}\`` : goQuote(s), spec);
    case 'x':
    case 'X': {
      let bytes = Buffer.from(s, 'utf8');
      if (spec.precision !== undefined) bytes = bytes.subarray(0, spec.precision);
      let hex = bytes.toString('hex');
      if (spec.verb === 'X') hex = hex.toUpperCase();
      return pad(hex, spec);
    }
    default:
      return badVerb(arg, spec);
  }
}

function formatInt(arg: Extract<GoArg, { kind: 'int' }>, spec: Spec): string {
  const negative = arg.value < 0n;
  const magnitude = negative ? -arg.value : arg.value;
  let digits: string;
  let prefix = '';
  switch (spec.verb) {
    case 'v':
    case 'd':
      digits = magnitude.toString(10);
      break;
    case 's':
      if (arg.goType !== '*big.Int') return badVerb(arg, spec);
      digits = magnitude.toString(10);
      break;
    case 'x':
      digits = magnitude.toString(16);
      if (spec.sharp) prefix = '0x';
      break;
    case 'X':
      digits = magnitude.toString(16).toUpperCase();
      if (spec.sharp) prefix = '0X';
      break;
    case 'o':
      digits = magnitude.toString(8);
      if (spec.sharp) prefix = '0';
      break;
    case 'O':
      digits = magnitude.toString(8);
      prefix = '0o';
      break;
    case 'b':
      digits = magnitude.toString(2);
      break;
    case 'c':
    case 'q':
      if (arg.goType === '*big.Int') return badVerb(arg, spec);
      return pad(spec.verb === 'c' ? String.fromCodePoint(toRune(arg.value)) : goQuoteRune(toRune(arg.value)), spec);
    default:
      return badVerb(arg, spec);
  }
  if (spec.precision !== undefined) {
    digits = spec.precision === 0 && magnitude === 0n ? '' : digits.padStart(spec.precision, '0');
  }
  const sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  return pad(sign + prefix + digits, spec, spec.precision === undefined);
}

/** Go turns integers that are no Unicode code point (negative, surrogate, too large) into U+FFFD. */
function toRune(n: bigint): number {
  if (n < 0n || n > 0x10ffffn || (n >= 0xd800n && n <= 0xdfffn)) return 0xfffd;
  return Number(n);
}

function goQuoteRune(cp: number): string {
  if (cp === 0x27) return "'\\''";
  if (cp === 0x22) return `'"'`;
  return `'${goQuote(String.fromCodePoint(cp)).slice(1, -1)}'`;
}

/** The exact decimal expansion of a double, so rounding is half-to-even on the true value, as in Go. */
function exactDecimal(x: number): { digits: string; point: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (exponentBits === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  if (mantissa === 0n) return { digits: '0', point: 1 };
  if (exponent >= 0) {
    const digits = (mantissa << BigInt(exponent)).toString();
    return { digits, point: digits.length };
  }
  const digits = (mantissa * 5n ** BigInt(-exponent)).toString();
  return { digits, point: digits.length + exponent };
}

/** Rounds a digit string to `count` digits, half to even; returns the digits and the point shift. */
function roundDigits(digits: string, count: number): { digits: string; carry: number } {
  if (count < 0) return { digits: '', carry: 0 };
  if (digits.length <= count) return { digits: digits.padEnd(count, '0'), carry: 0 };
  const kept = digits.slice(0, count);
  const rest = digits.slice(count);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  const lastKept = count > 0 ? kept.charCodeAt(count - 1) - 48 : 0;
  const roundUp = first > 5 || (first === 5 && (tail || lastKept % 2 === 1));
  if (!roundUp) return { digits: kept, carry: 0 };
  const bumped = (BigInt(kept || '0') + 1n).toString().padStart(count, '0');
  if (bumped.length > count) return { digits: bumped.slice(0, count), carry: 1 };
  return { digits: bumped, carry: 0 };
}

/** Shortest digits that read back as the same double (what Go and JS both print by default). */
function shortestDecimal(x: number): { digits: string; point: number } {
  if (x === 0) return { digits: '0', point: 1 };
  const [mantissa, exp] = Math.abs(x).toExponential().split('e');
  const digits = mantissa!.replace('.', '');
  return { digits, point: Number(exp) + 1 };
}

interface Decimal {
  digits: string;
  point: number;
}

function fixedDigits(d: Decimal, precision: number): Decimal {
  const count = d.point + precision;
  if (count < 0) return { digits: '0', point: 1 };
  const r = roundDigits(d.digits, count);
  return { digits: r.digits, point: d.point + r.carry };
}

function renderFixed(d: Decimal, precision: number): string {
  const digits = d.digits.padEnd(d.point + precision, '0');
  let intPart: string;
  let fracPart: string;
  if (d.point <= 0) {
    intPart = '0';
    fracPart = '0'.repeat(-d.point) + digits;
  } else {
    intPart = digits.slice(0, d.point) || '0';
    fracPart = digits.slice(d.point);
  }
  fracPart = fracPart.slice(0, precision).padEnd(precision, '0');
  intPart = intPart.replace(/^0+(?=\d)/, '');
  return precision > 0 ? `${intPart}.${fracPart}` : intPart;
}

function renderExponent(d: Decimal, precision: number, upper: boolean): string {
  const digits = d.digits.padEnd(precision + 1, '0');
  const exp = d.digits === '0' || /^0+$/.test(d.digits) ? 0 : d.point - 1;
  const mantissa = precision > 0 ? `${digits[0]}.${digits.slice(1, precision + 1)}` : digits[0]!;
  const expText = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${mantissa}${upper ? 'E' : 'e'}${expText}`;
}

function formatFloat(arg: Extract<GoArg, { kind: 'float' }>, spec: Spec): string {
  const x = arg.value;
  const verb = spec.verb === 'v' ? 'g' : spec.verb;
  if (!'eEfFgGxX'.includes(verb)) return badVerb(arg, spec);
  const negative = x < 0 || Object.is(x, -0);
  const sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (!Number.isFinite(x)) {
    const text = Number.isNaN(x) ? 'NaN' : `${x < 0 ? '-' : spec.plus ? '+' : ''}Inf`;
    return pad(text, spec);
  }
  let body: string;
  switch (verb) {
    case 'f':
    case 'F': {
      const precision = spec.precision ?? 6;
      body = renderFixed(fixedDigits(exactDecimal(x), precision), precision);
      break;
    }
    case 'e':
    case 'E': {
      const precision = spec.precision ?? 6;
      const exact = exactDecimal(x);
      const r = roundDigits(exact.digits.replace(/^0+/, '') || '0', precision + 1);
      body = renderExponent({ digits: r.digits, point: exact.point + r.carry - leadingZeros(exact.digits) }, precision, verb === 'E');
      break;
    }
    case 'x':
    case 'X':
      body = formatHexFloat(Math.abs(x), verb === 'X');
      break;
    default: {
      body = formatG(x, spec.precision, spec.sharp, verb === 'G');
    }
  }
  return pad(sign + body, spec, true);
}

function leadingZeros(digits: string): number {
  const zeros = /^0*/.exec(digits)![0].length;
  return zeros === digits.length ? 0 : zeros;
}

/** strconv.FormatFloat(x, 'g', precision) as fmt uses it: shortest digits when no precision is given. */
function formatG(x: number, precision: number | undefined, sharp: boolean, upper: boolean): string {
  let d: Decimal;
  let eprec: number;
  const shortest = precision === undefined;
  if (shortest) {
    d = shortestDecimal(x);
    eprec = 6;
  } else {
    const p = precision === 0 ? 1 : precision;
    const exact = exactDecimal(x);
    const zeros = leadingZeros(exact.digits);
    const r = roundDigits(exact.digits.slice(zeros) || '0', p);
    d = { digits: r.digits.replace(/0+$/, '') || '0', point: exact.point - zeros + r.carry };
    eprec = p;
    if (eprec > d.digits.length && d.digits.length >= d.point) eprec = d.digits.length;
  }
  if (x === 0) d = { digits: '0', point: 1 };
  const exp = d.point - 1;
  if (exp < -4 || exp >= eprec) {
    const p = shortest ? d.digits.length - 1 : Math.min(precision === 0 ? 0 : precision! - 1, d.digits.length - 1);
    return renderExponent(d, sharp ? Math.max(p, (precision ?? 6) - 1) : p, upper);
  }
  const fractionDigits = Math.max(d.digits.length - d.point, 0);
  return renderFixed(d, fractionDigits);
}

/** strconv's 'x' format with the shortest precision: 0x1.8p+00. */
function formatHexFloat(x: number, upper: boolean): string {
  let text: string;
  if (x === 0) text = '0x0p+00';
  else {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const bits = view.getBigUint64(0);
    let exponent = Number((bits >> 52n) & 0x7ffn);
    let mantissa = bits & ((1n << 52n) - 1n);
    if (exponent === 0) {
      // Subnormal: shift the mantissa up until its leading 1 is in the implicit bit.
      exponent = 1;
      while ((mantissa & (1n << 52n)) === 0n) {
        mantissa <<= 1n;
        exponent--;
      }
      mantissa &= (1n << 52n) - 1n;
    }
    const fraction = mantissa.toString(16).padStart(13, '0').replace(/0+$/, '');
    const e = exponent - 1023;
    text = `0x1${fraction ? `.${fraction}` : ''}p${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return upper ? text.toUpperCase() : text;
}
