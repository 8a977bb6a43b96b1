// Public surface of drift/ (re-exported by the package entry): PSI and the calibrated drift rule.
export { PSI_EPSILON, decileEdges, binShares, psi, type PsiOptions } from "./psi.js";
export {
  rollingWindowPsi,
  featuresOverThreshold,
  driftTriggered,
  calibrateDriftRule,
  type CalibrateDriftOptions,
  type DriftCalibration,
} from "./drift-rule.js";
