import { WasmgateError } from '../errors.js';
import type { Decision } from '../engine/decision.js';
import type { MemoryLimits } from '../engine/wasm-policy.js';
import { decisionOf, GatekeeperEvaluator, type GatekeeperPolicySet } from './evaluator.js';
import { inventoryInData, type Inventory } from './inventory.js';
import { reviewOfRequest } from './review.js';
import { isRecord } from './json.js';


/**
 * Gatekeeper's review of an AdmissionReview (as the webhook receives it), as a wasmgate decision.
 * The set's own inventory, else `data.inventory` of the policy data, is the inventory, and where
 * namespaceSelectors find Namespaces.
 */
export class GatekeeperDecider {
  private readonly evaluator: GatekeeperEvaluator;
  private inventory: Inventory;

  constructor(
    private readonly set: GatekeeperPolicySet,
    data: unknown,
    limits?: MemoryLimits,
  ) {
    this.evaluator = new GatekeeperEvaluator(set, limits);
    this.inventory = set.inventory ?? inventoryInData(data);
  }

  setData(data: unknown): void {
    this.inventory = this.set.inventory ?? inventoryInData(data);
  }

  get memoryBytes(): number {
    return this.evaluator.memoryBytes;
  }

  decide(input: object | ArrayBuffer): Decision {
    const review: unknown = input instanceof ArrayBuffer ? JSON.parse(Buffer.from(input).toString('utf8')) : input;
    if (!isRecord(review) || !isRecord(review.request)) throw new WasmgateError('INPUT_INVALID', 'not an AdmissionReview with a request');
    return decisionOf(this.evaluator.review(reviewOfRequest(review.request), { inventory: this.inventory, webhook: true }));
  }
}

/** Both policies' violations, the bundle's first: denied when either denies. */
export function mergeDecisions(a: Decision, b: Decision): Decision {
  return { allowed: a.allowed && b.allowed, violations: [...a.violations, ...b.violations] };
}
