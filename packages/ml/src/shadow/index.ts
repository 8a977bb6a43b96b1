// Public surface of shadow/ (re-exported by the package entry): the shadow evaluation's position policy,
// shared by the A/B's shadow step (@mlq/ab) and the hyperparameter search's candidate scoring.
export {
  DEFAULT_SHADOW_MAX_GAP_MS,
  longOnlyHoldPolicy,
  type ShadowBar,
  type ShadowPolicy,
  type ShadowPolicyParams,
  type ShadowSegment,
  type ShadowSeries,
  type ShadowSymbolBars,
  type ShadowTrade,
} from "./shadow-policy.js";
