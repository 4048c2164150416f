// End-to-end: the page under its production headers (src/server/http/security-headers.ts) in
// Chromium, against the real server started through the real bootstrap. The page must be
// cross-origin isolated (so are its mesh workers), reach "playing", and cause no CSP
// violation: first without consent, then with both consents on (which loads the Sentry and
// OpenTelemetry chunks), a few traced shots and a test crash that must reach the crash inbox.
//
// Violations are watched three ways: a `securitypolicyviolation` listener installed before
// any page script runs, the console (Chromium logs "Refused to ..." for the page and its
// workers), and Chromium's own issue reports (DevTools Audits domain), which also cover
// workers and COEP blocks.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, CDPSession, Page } from "playwright-core";
import { SENTRY_TUNNEL_PATH, OTLP_TRACES_PATH } from "../../src/shared/telemetry/client-config.ts";
import { ensureBuilt, eventually, launchChromium, openPage, startGameInProcess } from "./harness.ts";
import type { InProcessGame, WatchedPage } from "./harness.ts";

const PAGE_PATH = "?view=3&autotest=1";
const LOAD_TIMEOUT = 150_000;

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

interface CrashList {
  crashes: { seq: number }[];
}
interface TraceList {
  traces: { spans: { name: string; attributes: Record<string, unknown> }[] }[];
}

/** A page with a CSP violation listener, a console watch and Chromium's issue reports. */
interface Watched extends WatchedPage {
  /** Chromium issues (Audits.issueAdded) by code, with their details, from page and workers. */
  readonly issues: string[];
  readonly cdp: CDPSession;
}

async function openWatched(browser: Browser): Promise<Watched> {
  const watched = await openPage(browser);
  const { page } = watched;
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations?.push(`${e.effectiveDirective} blocked ${e.blockedURI || "(inline)"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const issues: string[] = [];
  const cdp = await page.context().newCDPSession(page);
  cdp.on("Audits.issueAdded", (e) => issues.push(`${e.issue.code} ${JSON.stringify(e.issue.details)}`));
  await cdp.send("Audits.enable");
  // Workers are targets of their own: attach to each (non-flat sessions, carried by this one)
  // and read its issues and browser log entries ("Refused to connect ..." is a log entry).
  cdp.on("Target.attachedToTarget", ({ sessionId, targetInfo }) => {
    if (targetInfo.type !== "worker") return;
    let id = 0;
    for (const method of ["Audits.enable", "Log.enable"]) {
      void cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id: ++id, method }) }).catch(() => undefined);
    }
  });
  cdp.on("Target.receivedMessageFromTarget", ({ message }) => {
    const m = JSON.parse(message) as { method?: string; params?: { issue?: { code: string; details: unknown }; entry?: { level: string; source: string; text: string; url?: string } } };
    if (m.method === "Audits.issueAdded" && m.params?.issue) issues.push(`worker ${m.params.issue.code} ${JSON.stringify(m.params.issue.details)}`);
    if (m.method === "Log.entryAdded" && m.params?.entry) issues.push(`worker log ${m.params.entry.level} ${m.params.entry.source}: ${m.params.entry.text}`);
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return { ...watched, issues, cdp };
}

async function loadGame(w: Watched, url: string): Promise<void> {
  const t0 = Date.now();
  await w.page.goto(url);
  try {
    await w.page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: LOAD_TIMEOUT, polling: 250 });
  } catch (err) {
    throw new Error(`page stayed "loading"\nconsole:\n${w.console.join("\n")}`, { cause: err });
  }
  expect(await w.page.evaluate(() => document.body.dataset.state), `console:\n${w.console.join("\n")}`).toBe("playing");
  console.log(`e2e: "playing" after ${Date.now() - t0} ms`);
}

/** Everything that points at a blocked load, a policy violation or a policy Chromium cannot parse, from every source. */
async function violations(w: Watched): Promise<string[]> {
  const fromPage = await w.page.evaluate(() => window.__cspViolations ?? []);
  const fromConsole = w.console.filter((line) => /Content Security Policy|Refused to|Cross-Origin-Embedder-Policy|Permissions-Policy|blocked/i.test(line));
  const fromIssues = w.issues.filter((line) => /ContentSecurityPolicy|CrossOrigin|Blocked|CorsIssue/i.test(line));
  return [...fromPage, ...fromConsole, ...fromIssues];
}

/** Shoots a few times through the automation hook (commands are traced with performance consent). */
async function shoot(page: Page, shots: number): Promise<void> {
  for (let i = 0; i < shots; i++) {
    await page.evaluate((yaw) => {
      window.__game?.aim(yaw, -0.05);
      window.__game?.fire();
    }, i * 0.4);
    await page.waitForTimeout(600);
  }
}

describe("the page under its production headers", () => {
  let server: InProcessGame;
  let browser: Browser;

  beforeAll(async () => {
    ensureBuilt();
    server = await startGameInProcess({ TRACE_SAMPLE: "1" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("without consent: cross-origin isolated, workers too, playing, no violation", async () => {
    const w = await openWatched(browser);
    const encodings = new Map<string, string>();
    w.page.on("response", (r) => {
      if (new URL(r.url()).pathname.endsWith(".js")) encodings.set(r.url(), r.headers()["content-encoding"] ?? "identity");
    });
    await loadGame(w, server.url + PAGE_PATH);
    // Every script, the workers' too, came as the build's brotli copy.
    expect(encodings.size).toBeGreaterThan(2);
    expect([...encodings].filter(([, coding]) => coding !== "br")).toEqual([]);
    expect(await w.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const workers = w.page.workers();
    expect(workers.length).toBeGreaterThan(0);
    for (const worker of workers) expect(await worker.evaluate(() => self.crossOriginIsolated), worker.url()).toBe(true);
    // Isolated timers tick in microseconds: some mesh job took a time that is not a multiple of 0.1 ms.
    const meshMs = await w.page.evaluate(() => {
      const s = window.__game?.stats.mesh;
      return s ? Array.from(s.recentMeshMs.subarray(0, Math.min(s.recentMeshMsCount, s.recentMeshMs.length))) : [];
    });
    expect(meshMs.length).toBeGreaterThan(0);
    expect(meshMs.some((ms) => Math.abs(ms * 10 - Math.round(ms * 10)) > 1e-6), meshMs.slice(0, 20).join(", ")).toBe(true);

    await shoot(w.page, 4);
    expect(await violations(w)).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
  });

  test("with both consents and a test crash: Sentry and OpenTelemetry work, no violation", async () => {
    const w = await openWatched(browser);
    await loadGame(w, server.url + PAGE_PATH);
    await w.page.getByTestId("settings-button").click();
    for (const channel of ["performance", "crash"]) {
      const box = w.page.getByTestId(`consent-${channel}`);
      await box.setChecked(true);
      expect(await box.isChecked()).toBe(true);
    }
    await w.page.getByTestId("settings-close").click();

    // OpenTelemetry: traced shots reach the server as client spans through the OTLP relay.
    await eventually("a client span in /debug/tracez", 90_000, async () => {
      await shoot(w.page, 2);
      const { traces } = await server.debugJson<TraceList>("/debug/tracez?limit=2000");
      return traces.some((t) => t.spans.some((s) => s.attributes["service.name"] === "voxel-shooter-client")) ? true : undefined;
    }, 1000);
    expect(server.served).toContain(`POST ${OTLP_TRACES_PATH}`);

    // Sentry: an uncaught exception reaches the crash inbox through the tunnel.
    await w.page.evaluate(() => {
      setTimeout(() => {
        throw new Error("e2e security test crash");
      }, 0);
    });
    await eventually("the test crash in /debug/crashes", 60_000, async () => {
      const { crashes } = await server.debugJson<CrashList>("/debug/crashes");
      return crashes.length > 0 ? true : undefined;
    });
    expect(server.served).toContain(`POST ${SENTRY_TUNNEL_PATH}`);

    expect(await w.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(await violations(w)).toEqual([]);
    // The only console error is the test crash itself.
    expect(w.errors.filter((e) => !e.includes("e2e security test crash"))).toEqual([]);
    await w.page.close();
  });
});
