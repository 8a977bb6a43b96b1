// Public surface of importance/ (re-exported by the package entry).
export {
  permutationImportance,
  permutationStack,
  sampleRows,
  shuffledIndices,
  type ImportanceLoss,
  type PermutationImportance,
  type PermutationStack,
} from "./permutation.js";
