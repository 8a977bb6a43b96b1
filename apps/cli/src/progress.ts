// Progress bars on a terminal, silence when piped or with --json.
import cliProgress from "cli-progress";
import type { ProgressFn } from "@mlq/core";

export interface ProgressBar {
  update: ProgressFn;
  stop(): void;
}

export function progressBar(enabled: boolean): ProgressBar {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: "{stage} |{bar}| {percentage}% {detail}", hideCursor: true, stream: process.stderr, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: ({ stage, pct, detail }) => {
      if (!started) {
        bar.start(100, 0, { stage, detail: detail ?? "" });
        started = true;
      }
      bar.update(Math.max(0, Math.min(100, Math.round(pct))), { stage: stage.padEnd(10), detail: detail ?? "" });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
