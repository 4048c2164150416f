// End-to-end: a Lighthouse audit (the npm package, pinned) of the page as the real server
// serves it, driving Debian's Chromium over its DevTools port. Best practices (headers,
// console errors, deprecations, source maps, HTTPS/localhost) and accessibility are asserted;
// SEO is reported. Performance is not audited: WebGPU on SwiftShader says nothing about it.
// The HTML report is kept in test-output/lighthouse.html for a person to read.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import lighthouse, { desktopConfig } from "lighthouse";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHROMIUM, CHROMIUM_ARGS, ensureBuilt, freePort, OUTPUT_DIR, saveArtifact, startGameInProcess } from "./harness.ts";
import type { InProcessGame } from "./harness.ts";

const CATEGORIES = ["best-practices", "accessibility", "seo"] as const;
/** Lighthouse waits for the load to go quiet; the render loop on SwiftShader never does. */
const MAX_WAIT_FOR_LOAD_MS = 45_000;

describe("Lighthouse audit of the served page", () => {
  let server: InProcessGame;
  let browser: Browser;
  let port: number;

  beforeAll(async () => {
    ensureBuilt();
    server = await startGameInProcess();
    port = await freePort();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, `--remote-debugging-port=${port}`], headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("best practices >= 95 and accessibility >= 90", async () => {
    const result = await lighthouse(
      `${server.url}?view=2`,
      { port, output: "html", logLevel: "error", onlyCategories: [...CATEGORIES], maxWaitForLoad: MAX_WAIT_FOR_LOAD_MS },
      desktopConfig,
    );
    if (!result) throw new Error("Lighthouse returned no result");
    const html = Array.isArray(result.report) ? result.report[0] : result.report;
    const reportPath = saveArtifact("lighthouse.html", new TextEncoder().encode(html));
    writeFileSync(join(OUTPUT_DIR, "lighthouse.json"), JSON.stringify(result.lhr, null, 1));
    const { lhr } = result;
    const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c]?.score ?? 0) * 100)]));
    // What cost points, for the log and the failure message.
    const failing = CATEGORIES.flatMap((c) =>
      (lhr.categories[c]?.auditRefs ?? [])
        .filter((ref) => ref.weight > 0 && (lhr.audits[ref.id]?.score ?? 1) < 1)
        .map((ref) => `${c}: ${ref.id} (${lhr.audits[ref.id]?.title})`),
    );
    console.log(`e2e: Lighthouse ${lhr.lighthouseVersion} ${JSON.stringify(scores)}; report ${reportPath}`);
    if (lhr.runWarnings.length > 0) console.log(`e2e: Lighthouse warnings: ${lhr.runWarnings.join(" | ")}`);
    if (failing.length > 0) console.log(`e2e: Lighthouse audits below 1: ${failing.join("; ")}`);
    expect(lhr.runtimeError, JSON.stringify(lhr.runtimeError)).toBeUndefined();
    expect(scores["best-practices"], failing.join("\n")).toBeGreaterThanOrEqual(95);
    expect(scores.accessibility, failing.join("\n")).toBeGreaterThanOrEqual(90);
  });
});
