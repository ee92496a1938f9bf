// parseRegoValue reads what opa_value_dump prints (JSON plus sets): strings ending in escaped quotes and
// backslashes, JSON's whitespace anywhere between tokens, numbers in every JSON form; and refuses the rest.
import t from 'tap';
import { parseRegoValue } from '../../dist/engine/builtins/rego-value.js';

const str = (value: string) => ({ type: 'string', value });
const num = (text: string) => ({ type: 'number', text });

t.test('strings: the closing quote is the first one not escaped', async (t) => {
  for (const s of ['', 'abc', 'a"b', 'a\\', 'a\\"', '\\\\"', 'héllo "q"\n\t\u0001', '"', '\\']) {
    t.strictSame(parseRegoValue(JSON.stringify(s)), str(s), JSON.stringify(s));
  }
  t.strictSame(parseRegoValue('["a\\\\", "b"]'), { type: 'array', items: [str('a\\'), str('b')] }, 'a string ending in a backslash, then another');
});

t.test('numbers, sets, objects and whitespace', async (t) => {
  for (const n of ['0', '-7', '1.5', '1e21', '-2.5E-3', '12345678901234567890']) t.strictSame(parseRegoValue(n), num(n), n);
  t.strictSame(parseRegoValue(' \n[ 1 ,\t{"k" : set()} , {2, 1} ]\r\n'), {
    type: 'array',
    items: [num('1'), { type: 'object', entries: [[str('k'), { type: 'set', items: [] }]] }, { type: 'set', items: [num('2'), num('1')] }],
  });
  t.strictSame(parseRegoValue('{}'), { type: 'object', entries: [] });
  t.strictSame(parseRegoValue('[null, true, false]'), { type: 'array', items: [{ type: 'null' }, { type: 'boolean', value: true }, { type: 'boolean', value: false }] });
});

t.test('what is not a Rego value is refused', async (t) => {
  for (const text of ['"abc', '"abc\\"', '[1 2]', '{1: }', 'nul', '[1] x', '']) t.throws(() => parseRegoValue(text), SyntaxError, JSON.stringify(text));
});
