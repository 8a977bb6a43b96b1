// Reader child of the SIGKILL scenario: checks in a tight loop that every pointer file names a
// complete, sha256-valid version (as the trading bot would load it). On SIGTERM it prints one
// `SUMMARY {json}` line: checks done, versions seen, and every violation observed.
import { POINTER_NAMES, readPointer, verifyVersion } from "@mlq/registry";

const [modelsDir] = process.argv.slice(2);
if (!modelsDir) throw new Error("usage: pointer-reader.mjs <modelsDir>");
let checks = 0;
const violations = [];
const seen = new Set();

function checkOnce() {
  for (const name of POINTER_NAMES) {
    try {
      const pointer = readPointer(modelsDir, name);
      if (!pointer) continue;
      verifyVersion(modelsDir, pointer.version, pointer.manifestSha256);
      seen.add(`${name}=${pointer.version}`);
    } catch (err) {
      if (violations.length < 20) violations.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  checks++;
}

const timer = setInterval(checkOnce, 5);
process.stdout.write("READY\n");
process.on("SIGTERM", () => {
  clearInterval(timer);
  checkOnce();
  process.stdout.write(`SUMMARY ${JSON.stringify({ checks, seen: [...seen], violations })}\n`, () => process.exit(0));
});
