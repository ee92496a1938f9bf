import { WasmgateError } from '../../errors.js';
import { goSprintf, type GoArg } from './go-fmt.js';
import { formatRegoValue, type RegoValue } from './rego-value.js';

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/**
 * Turns one Rego value into the Go value OPA's sprintf passes to fmt.Sprintf (v1/topdown/strings.go):
 * the number's text decides between float64 and integer, other values are printed in policy syntax.
 */
export function toGoArg(value: RegoValue): GoArg {
  switch (value.type) {
    case 'string':
      return { kind: 'string', value: value.value };
    case 'number': {
      const text = value.text;
      if (/[.eE]/.test(text)) {
        const f = Number(text);
        return Number.isFinite(f) ? { kind: 'float', value: f } : { kind: 'string', value: text };
      }
      const n = BigInt(text);
      return { kind: 'int', value: n, goType: n >= int64Min && n <= int64Max ? 'int64' : '*big.Int' };
    }
    default:
      return { kind: 'string', value: formatRegoValue(value) };
  }
}

/** OPA's `sprintf(format, values)`, given both operands as Rego values (sets kept apart from arrays). */
export function opaSprintf(format: RegoValue, values: RegoValue): string {
  if (format.type !== 'string') throw new WasmgateError('EVAL_FAILED', 'sprintf: operand 1 must be string');
  if (values.type !== 'array') throw new WasmgateError('EVAL_FAILED', 'sprintf: operand 2 must be array');
  return goSprintf(format.value, values.items.map(toGoArg));
}
