import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Worker, type Job } from "bullmq";
import { chromium, type Browser } from "playwright-core";
import { loadConfig } from "@mlq/config";
import { hashPassword } from "./auth.js";
import { createDashboard, type Dashboard, type RunningDashboard } from "./dashboard.js";
import { addModelVersions } from "./card-fixture.test-util.js";
import { addDriftCheck } from "./drift-fixture.test-util.js";
import { createFixture, deleteRedisPrefix, testPrefix, type Fixture } from "./fixtures.test-util.js";

// End to end: the dashboard against the real Redis and a small SQLite file, driven by headless
// Chromium. Skips (and says so; scripts/test.sh repeats it at the end) only when Debian's
// chromium is not installed (MLQ_CHROMIUM names another binary).
const CHROMIUM = process.env.MLQ_CHROMIUM || "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`dashboard.e2e: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const REDIS_URL = "redis://127.0.0.1:6379";
const prefix = testPrefix();
let fixture: Fixture;
let dash: Dashboard;
let running: RunningDashboard;
let browser: Browser | undefined;
let failedJobId: string;
// A second dashboard over a database with model versions (1 older, champion; 3 current, challenger).
let cards: Fixture;
let cardsDash: RunningDashboard;

describe.skipIf(!HAVE_CHROMIUM)(`dashboard in a browser${HAVE_CHROMIUM ? "" : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  beforeAll(async () => {
    fixture = createFixture({ tradesPerArm: 30 });
    const config = loadConfig(
      {},
      { REDIS_URL, MLQ_QUEUE_PREFIX: prefix, MLQ_DASHBOARD_USER: "ops", MLQ_DASHBOARD_PASSWORD_HASH: await hashPassword("s3cret", { N: 1024, r: 8, p: 1 }) },
    );
    dash = await createDashboard({ config, dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0 });
    running = await dash.listen();
    cards = createFixture({ tradesPerArm: 5 });
    addModelVersions(cards);
    addDriftCheck(cards);
    cardsDash = await (await createDashboard({ config, dbPath: cards.dbPath, modelsDir: cards.modelsDir, port: 0 })).listen();

    // A failed job to retry from the browser: a tiny worker that always throws.
    const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(
      "retrain",
      () => {
        throw new Error("e2e: deliberate failure");
      },
      { connection: workerConnection, prefix },
    );
    const failed = new Promise<Job>((resolve) => worker.on("failed", (job) => job && resolve(job)));
    const job = await dash.queues.get("retrain")!.add("retrain", { trigger: "force" }, { attempts: 1 });
    failedJobId = String(job.id);
    await failed;
    await worker.close();
    workerConnection.disconnect();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await cardsDash?.close();
    await deleteRedisPrefix(REDIS_URL, prefix);
    // Screenshots stay in the fixture dir when E2E_KEEP=1, for a human look.
    if (!process.env.E2E_KEEP) {
      fixture?.cleanup();
      cards?.cleanup();
    } else console.log(`dashboard.e2e: screenshots in ${fixture.dir} and ${cards.dir}`);
  });

  it("logs in, shows the status page with the active arm and charts, and retries a failed job in Bull Board", async () => {
    const context = await browser!.newContext({ httpCredentials: { username: "ops", password: "s3cret" }, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      const res = await page.goto(`${running.url}/`);
      expect(res?.status()).toBe(200);
      expect(await page.locator("#active-arm").textContent()).toBe("v2_paper");
      expect(await page.locator("svg.chart").count()).toBeGreaterThanOrEqual(2);
      const statusShot = join(fixture.dir, "status.png");
      await page.screenshot({ path: statusShot, fullPage: true });
      expect(statSync(statusShot).size).toBeGreaterThan(10_000);

      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(fixture.dir, "status-phone.png"), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });

      await page.goto(`${running.url}/queues/queue/retrain/${failedJobId}`);
      await page.getByText("e2e: deliberate failure").first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(fixture.dir, "bull-board-failed.png") });
      // The job's action buttons are bare icons whose name only appears as a tooltip on hover.
      const candidates = page.locator("button:not([aria-label]):not([role='tab']):not([aria-haspopup])");
      let clicked = false;
      for (let i = 0; i < (await candidates.count()) && !clicked; i++) {
        await candidates.nth(i).hover();
        const tip = page.getByText("Retry", { exact: true });
        if (await tip.first().waitFor({ state: "visible", timeout: 1500 }).then(() => true, () => false)) {
          await candidates.nth(i).click();
          clicked = true;
        }
      }
      expect(clicked).toBe(true);
      // Bull Board may ask for confirmation depending on its settings.
      const confirm = page.getByRole("alertdialog").or(page.getByRole("dialog")).getByRole("button", { name: /^(Confirm|Retry|Yes|OK)$/i });
      if (await confirm.first().isVisible({ timeout: 2000 }).catch(() => false)) await confirm.first().click();

      const queue = dash.queues.get("retrain")!;
      await expect.poll(() => queue.getJobState(failedJobId), { timeout: 10_000 }).toBe("waiting");
      await page.screenshot({ path: join(fixture.dir, "bull-board-retried.png") });
    } finally {
      await context.close();
    }
  }, 60_000);

  it("links a retrain run and an A/B run to the version cards, shows importance bars per model, and says none recorded for an older version", async () => {
    const context = await browser!.newContext({ httpCredentials: { username: "ops", password: "s3cret" }, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${cardsDash.url}/`);
      // Retrain run #3 trained version 3; run #2 failed and has no version to link.
      const runLinks = page.locator("section:has(h2:text('Retrain runs')) a.version");
      expect(await runLinks.allTextContents()).toEqual(["3", "1"]);
      // Every A/B run links both arms' versions.
      const abLinks = page.locator("section:has(h2:text('A/B evaluations')) a.version");
      expect(await abLinks.allTextContents()).toEqual(["1", "3", "1", "3"]);

      await runLinks.first().click();
      await page.waitForURL(/\/models\/3$/);
      expect(await page.locator("#card-version").textContent()).toBe("3");
      expect(await page.locator("#card-roles").textContent()).toBe("challenger");
      expect(await page.locator("#card-integrity").textContent()).toBe("verified");
      // One bar chart per model, a bar per feature; the negative one drawn left of zero.
      expect(await page.locator("svg.importance").count()).toBe(5);
      const bars = page.locator("svg.importance[data-model='direction'] rect.bar");
      expect(await bars.count()).toBe(11);
      const width = async (feature: string) => Number(await page.locator(`svg.importance[data-model='direction'] rect[data-feature='${feature}']`).getAttribute("width"));
      expect(await width("ret_1")).toBeGreaterThan(await width("ret_5"));
      expect(await page.locator("#rows-by-symbol tbody tr").count()).toBe(2);
      expect(await page.locator("#card-gates tbody tr").count()).toBe(2);
      expect(await page.locator("#card-files td.sha").count()).toBe(6);
      expect(await page.locator("#card-spans tbody tr").allTextContents()).toEqual([expect.stringMatching(/^\s*candidate\s/), expect.stringMatching(/^\s*challenger\s[\s\S]*now/)]);
      await page.screenshot({ path: join(cards.dir, "card-3.png"), fullPage: true });

      await page.goto(`${cardsDash.url}/`);
      await abLinks.first().click();
      await page.waitForURL(/\/models\/1$/);
      expect(await page.locator("#card-roles").textContent()).toBe("champion, v1_backtest");
      expect(await page.locator("#importance-none").innerText()).toMatch(/^None recorded/);
      expect(await page.locator("svg.importance").count()).toBe(0);
      expect(await page.locator(".not-recorded").count()).toBeGreaterThanOrEqual(3);

      // The list page's form compares two versions.
      await page.goto(`${cardsDash.url}/models`);
      await page.getByLabel("version A").fill("1");
      await page.getByLabel("version B").fill("3");
      await page.getByRole("button", { name: "diff" }).click();
      await page.waitForURL(/\/models\/1\/diff\/3$/);
      expect(await page.locator("#diff-metrics").getByText("direction.auc").count()).toBe(1);
      expect(await page.getByText("Version 1: none recorded.").count()).toBe(1);
      await page.screenshot({ path: join(cards.dir, "diff-1-3.png"), fullPage: true });
    } finally {
      await context.close();
    }
  }, 60_000);

  it("shows the drift heat map: feature × symbol per version, cells coloured against each feature's threshold, linked to the cards", async () => {
    const context = await browser!.newContext({ httpCredentials: { username: "ops", password: "s3cret" }, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${cardsDash.url}/`);
      const map = page.locator("#drift-champion");
      expect(await map.getAttribute("data-version")).toBe("1");
      expect(await map.locator("thead th").allTextContents()).toEqual(["feature", expect.stringMatching(/^BTC-USDT/), expect.stringMatching(/^ETH-USDT/)]);
      expect(await map.locator("tbody tr").count()).toBe(12);
      // The three features over their thresholds on BTC are red; ETH's rv_20 at 83 % of its threshold orange.
      const over = map.locator("td.cell.over");
      expect(await over.evaluateAll((cells) => cells.map((c) => c.getAttribute("data-feature")))).toEqual(["ret_60", "rsi_14", "bb_pctb"]);
      // Runs in the page (no DOM lib in this tsconfig).
      type Styled = { getComputedStyle(el: unknown): { backgroundColor: string } };
      const colour = (sel: string) => page.locator(sel).evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).backgroundColor);
      expect(await colour("#drift-champion td[data-feature='ret_60'][data-symbol='BTC-USDT']")).toBe("rgb(254, 202, 202)");
      expect(await colour("#drift-champion td[data-feature='rv_20'][data-symbol='ETH-USDT']")).toBe("rgb(254, 215, 170)");
      expect(await colour("#drift-champion td[data-feature='ret_1'][data-symbol='ETH-USDT']")).toBe("rgb(220, 252, 231)");
      expect(await page.locator("#drift-champion td[data-feature='ret_60'][data-symbol='BTC-USDT']").getAttribute("title")).toBe(
        "ret_60 on BTC-USDT: PSI 0.93 vs threshold 0.30",
      );
      expect(await page.locator("#drift-challenger tbody tr").count()).toBe(12);
      expect(await page.locator("#drift-action").textContent()).toBe("enqueued");
      await page.locator("#drift").screenshot({ path: join(cards.dir, "drift-heatmap.png") });
      await page.locator("#drift h3 a.version").first().click();
      await page.waitForURL(/\/models\/1$/);
      // The card's drift since training: the latest check, per symbol the features over and the closest one.
      expect(await page.locator("#card-drift").innerText()).toContain("1 drift check(s) scored it; as champion the rule fired 1 time(s), 1 drift retrain(s) enqueued.");
      expect(await page.locator("#card-drift-symbols tbody tr").allInnerTexts()).toEqual([
        expect.stringMatching(/^BTC-USDT\s+3 \/ 11\s+bb_pctb 0\.98 \/ 0\.30$/),
        expect.stringMatching(/^ETH-USDT\s+0 \/ 11\s+rv_20 0\.25 \/ 0\.30$/),
      ]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
