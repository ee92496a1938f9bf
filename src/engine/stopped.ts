/** Why an evaluation was stopped (EVAL_TIMEOUT): the request's budget, when that was shorter than the evaluation deadline. */
export function stoppedMessage(budgetMs: number, timeoutMs: number): string {
  return budgetMs < timeoutMs
    ? `policy evaluation stopped at the end of its request's budget (${Math.max(0, Math.round(budgetMs))} ms were left when it started)`
    : `policy evaluation exceeded its deadline of ${timeoutMs} ms`;
}
