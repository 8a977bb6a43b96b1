// Test-only workaround. The root vitest config passes `--conditions import` to Node, so the
// CommonJS `require("is-promise")` inside express's router resolves to the package's ESM
// file and gets a namespace object instead of a function ("isPromise is not a function").
// Seeding the require cache with the CommonJS build under the ESM path restores it. Import
// this module first in any test that loads express. Plain `node` (production) is unaffected.
import { createRequire } from "node:module";

const fromHere = createRequire(import.meta.url);
const fromRouter = createRequire(createRequire(fromHere.resolve("express")).resolve("router"));
const resolved = fromRouter.resolve("is-promise");
if (resolved.endsWith(".mjs")) {
  const cjs = fromRouter(resolved.replace(/\.mjs$/, ".js")) as unknown;
  const cache = fromRouter.cache as Record<string, unknown>;
  cache[resolved] = { id: resolved, filename: resolved, loaded: true, exports: cjs, children: [], paths: [] };
}
