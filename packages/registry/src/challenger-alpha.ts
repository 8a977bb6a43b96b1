// Error control across the sequence of challengers (online α allocation). Each challenger is
// tested on its own fresh trades at level α_k; over any rolling year Σ α_k stays within the
// budget, so by the union bound the chance of promoting at least one no-better challenger in a
// year is at most the budget. α_k = min(α, what is left of the year's budget ÷ 2): the first
// challengers get the full α, later ones geometrically less, and the budget is never exhausted.

/** The rolling window of the budget: 365 days. */
export const ALPHA_WINDOW_MS = 365 * 24 * 3600 * 1000;

export interface AlphaGrant {
  /** When the challenger took the evaluation slot (ms). */
  readonly tsMs: number;
  readonly alpha: number;
}

export interface AlphaAllocation {
  /** α_k for the challenger taking the slot now. */
  readonly alpha: number;
  /** Σ α_j granted in the trailing year before this one. */
  readonly spentInWindow: number;
  /** Budget left after this grant. */
  readonly remaining: number;
}

export function allocateChallengerAlpha(
  granted: readonly AlphaGrant[],
  nowMs: number,
  policy: { alpha: number; budget: number; windowMs?: number },
): AlphaAllocation {
  const windowMs = policy.windowMs ?? ALPHA_WINDOW_MS;
  const spent = granted.filter((g) => g.tsMs > nowMs - windowMs && g.tsMs <= nowMs).reduce((s, g) => s + g.alpha, 0);
  const left = Math.max(0, policy.budget - spent);
  // Rounded to 1e-12 so a stored α_k reads back as the same number (0.05, not 0.04999999999999999).
  const alpha = round12(Math.min(policy.alpha, left / 2));
  return { alpha, spentInWindow: round12(spent), remaining: round12(left - alpha) };
}

const round12 = (x: number) => Math.round(x * 1e12) / 1e12;
