import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Worker, type Job } from "bullmq";
import { chromium, type Browser } from "playwright-core";
import { loadConfig } from "@mlq/config";
import { hashPassword } from "./auth.js";
import { createDashboard, type Dashboard, type RunningDashboard } from "./dashboard.js";
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

describe.skipIf(!HAVE_CHROMIUM)(`dashboard in a browser${HAVE_CHROMIUM ? "" : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  beforeAll(async () => {
    fixture = createFixture({ tradesPerArm: 30 });
    const config = loadConfig(
      {},
      { REDIS_URL, MLQ_QUEUE_PREFIX: prefix, MLQ_DASHBOARD_USER: "ops", MLQ_DASHBOARD_PASSWORD_HASH: await hashPassword("s3cret", { N: 1024, r: 8, p: 1 }) },
    );
    dash = await createDashboard({ config, dbPath: fixture.dbPath, modelsDir: fixture.modelsDir, port: 0 });
    running = await dash.listen();

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
    await deleteRedisPrefix(REDIS_URL, prefix);
    // Screenshots stay in the fixture dir when E2E_KEEP=1, for a human look.
    if (!process.env.E2E_KEEP) fixture?.cleanup();
    else console.log(`dashboard.e2e: screenshots in ${fixture.dir}`);
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
});
