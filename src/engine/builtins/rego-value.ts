/**
 * Rego values as OPA's WASM `opa_value_dump` prints them: JSON plus sets (`{1, 2}`, `set()`).
 * JSON alone loses the difference between a set and an array, and OPA's sprintf prints them differently.
 */
export type RegoValue =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'number'; readonly text: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly items: readonly RegoValue[] }
  | { readonly type: 'object'; readonly entries: readonly (readonly [RegoValue, RegoValue])[] }
  | { readonly type: 'set'; readonly items: readonly RegoValue[] };

export function parseRegoValue(text: string): RegoValue {
  const parser = new Parser(text);
  const value = parser.value();
  parser.skipSpace();
  if (!parser.atEnd()) throw new SyntaxError(`unexpected text after a Rego value at ${parser.pos}`);
  return value;
}

/** JSON's whitespace, which is all `opa_value_dump` writes between tokens. */
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

const numberToken = /-?\d+(\.\d+)?([eE][-+]?\d+)?/y;

// Scans by character code, not by one-character strings and a regular expression per character: a
// policy's messages go through sprintf, whose format and arguments are read with this parser.
class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private expect(token: string): void {
    if (!this.tryConsume(token)) throw new SyntaxError(`expected "${token}" at ${this.pos}`);
  }

  private tryConsume(token: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  value(): RegoValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '"') return { type: 'string', value: this.string() };
    if (c === '[') return { type: 'array', items: this.sequence('[', ']') };
    if (c === '{') return this.objectOrSet();
    if (this.tryConsume('set()')) return { type: 'set', items: [] };
    if (this.tryConsume('null')) return { type: 'null' };
    if (this.tryConsume('true')) return { type: 'boolean', value: true };
    if (this.tryConsume('false')) return { type: 'boolean', value: false };
    numberToken.lastIndex = this.pos;
    const number = numberToken.exec(this.text);
    if (number) {
      this.pos += number[0].length;
      return { type: 'number', text: number[0] };
    }
    throw new SyntaxError(`unexpected character at ${this.pos} in a Rego value`);
  }

  /** A JSON string from its opening quote: up to the first quote not escaped, decoded by JSON.parse. */
  private string(): string {
    const start = this.pos;
    let end = start;
    for (;;) {
      end = this.text.indexOf('"', end + 1);
      if (end < 0) throw new SyntaxError('unterminated string');
      let backslashes = 0;
      while (this.text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    this.pos = end + 1;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  private sequence(open: string, close: string): RegoValue[] {
    this.expect(open);
    const items: RegoValue[] = [];
    if (this.tryConsume(close)) return items;
    do items.push(this.value());
    while (this.tryConsume(','));
    this.expect(close);
    return items;
  }

  private objectOrSet(): RegoValue {
    this.expect('{');
    if (this.tryConsume('}')) return { type: 'object', entries: [] };
    const first = this.value();
    if (this.tryConsume(':')) {
      const entries: [RegoValue, RegoValue][] = [[first, this.value()]];
      while (this.tryConsume(',')) {
        const key = this.value();
        this.expect(':');
        entries.push([key, this.value()]);
      }
      this.expect('}');
      return { type: 'object', entries };
    }
    const items = [first];
    while (this.tryConsume(',')) items.push(this.value());
    this.expect('}');
    return { type: 'set', items };
  }
}

const typeOrder: Record<RegoValue['type'], number> = {
  null: 0,
  boolean: 1,
  number: 2,
  string: 3,
  array: 4,
  object: 5,
  set: 6,
};

/** OPA's ast.Compare order, which decides how sets and object keys are printed. */
export function compareRegoValues(a: RegoValue, b: RegoValue): number {
  if (a.type !== b.type) return typeOrder[a.type] - typeOrder[b.type];
  switch (a.type) {
    case 'null':
      return 0;
    case 'boolean':
      return Number(a.value) - Number((b as typeof a).value);
    case 'number':
      return compareDecimalText(a.text, (b as typeof a).text);
    case 'string': {
      const x = Buffer.from(a.value);
      const y = Buffer.from((b as typeof a).value);
      return Buffer.compare(x, y);
    }
    case 'array':
    case 'set':
      return compareLists(sortedIfSet(a), sortedIfSet(b as typeof a));
    case 'object':
      return compareObjects(a.entries, (b as typeof a).entries);
  }
}

function sortedIfSet(v: Extract<RegoValue, { items: unknown }>): readonly RegoValue[] {
  return v.type === 'set' ? [...v.items].sort(compareRegoValues) : v.items;
}

function compareLists(a: readonly RegoValue[], b: readonly RegoValue[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareRegoValues(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function compareObjects(
  a: readonly (readonly [RegoValue, RegoValue])[],
  b: readonly (readonly [RegoValue, RegoValue])[],
): number {
  const sa = sortEntries(a);
  const sb = sortEntries(b);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const k = compareRegoValues(sa[i]![0], sb[i]![0]);
    if (k !== 0) return k;
    const v = compareRegoValues(sa[i]![1], sb[i]![1]);
    if (v !== 0) return v;
  }
  return sa.length - sb.length;
}

function sortEntries(entries: readonly (readonly [RegoValue, RegoValue])[]) {
  return [...entries].sort((x, y) => compareRegoValues(x[0], y[0]));
}

/** Compares two JSON number texts exactly (no float rounding), as OPA's big-number comparison does. */
export function compareDecimalText(a: string, b: string): number {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (x.sign !== y.sign) return x.digits === 0n && y.digits === 0n ? 0 : x.sign - y.sign;
  const scale = Math.max(x.scale, y.scale);
  const xs = x.digits * 10n ** BigInt(scale - x.scale);
  const ys = y.digits * 10n ** BigInt(scale - y.scale);
  const c = xs === ys ? 0 : xs < ys ? -1 : 1;
  return x.sign < 0 ? -c : c;
}

function decimalParts(text: string): { sign: number; digits: bigint; scale: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m) throw new SyntaxError(`not a number: ${text}`);
  const fraction = m[3] ?? '';
  let scale = fraction.length - Number(m[4] ?? 0);
  let digits = BigInt(m[2]! + fraction);
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { sign: m[1] ? -1 : 1, digits, scale };
}

/** How a printer writes values: strings, separators, and whether sets and object keys come sorted. */
interface RegoSyntax {
  readonly quote: (s: string) => string;
  readonly comma: string;
  readonly colon: string;
  readonly sorted: boolean;
}

function printRego(v: RegoValue, syntax: RegoSyntax): string {
  const print = (x: RegoValue) => printRego(x, syntax);
  switch (v.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(v.value);
    case 'number':
      return v.text;
    case 'string':
      return syntax.quote(v.value);
    case 'array':
      return `[${v.items.map(print).join(syntax.comma)}]`;
    case 'set':
      return v.items.length === 0 ? 'set()' : `{${(syntax.sorted ? sortedIfSet(v) : v.items).map(print).join(syntax.comma)}}`;
    case 'object':
      return `{${(syntax.sorted ? sortEntries(v.entries) : v.entries).map(([k, val]) => `${print(k)}${syntax.colon}${print(val)}`).join(syntax.comma)}}`;
  }
}

const policySyntax: RegoSyntax = { quote: goQuote, comma: ', ', colon: ': ', sorted: true };
const parserSyntax: RegoSyntax = { quote: (s) => JSON.stringify(s), comma: ',', colon: ':', sorted: false };

/** How OPA prints a value in policy syntax (`ast.Value.String()`): sorted sets and keys, ", " separators. */
export function formatRegoValue(v: RegoValue): string {
  return printRego(v, policySyntax);
}

/** A value in the syntax opa_value_parse reads: JSON, plus set literals (`{1, 2}`, `set()`), as it comes. */
export function regoValueText(v: RegoValue): string {
  return printRego(v, parserSyntax);
}

/** Go's strconv.Quote: printable Unicode stays as it is, everything else is escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (isGoPrintable(cp)) out += ch;
    else if (cp < 0x10000) out += cp < 0x80 ? `\\x${hex(cp, 2)}` : `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function isGoPrintable(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp === 0xad) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  if (cp === 0xfffd) return true;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]/u.test(String.fromCodePoint(cp));
}
