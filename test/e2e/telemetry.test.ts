// End-to-end: client telemetry in Chromium (WebGPU on SwiftShader) against the real server,
// started in-process through src/server/bootstrap.ts so the test reads what the server
// received: its /metrics, /debug/tracez and /debug/crashes, and a log of every request path
// on the game port. Every "nothing was sent" claim is checked on both sides: the requests the
// browser made (page.on("request") sees fetch, sendBeacon and Sentry's transport alike) and
// the requests the server saw.
//
// One page plays through the consent story in order (the tests of the first describe share
// it, as loading the game on SwiftShader takes a minute): no consent -> overlay -> performance
// consent -> crash consent -> withdrawal. A second server with CLIENT_TELEMETRY=off follows.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import {
  BREADCRUMBS_PATH,
  CLIENT_CONFIG_PATH,
  OTLP_TRACES_PATH,
  SENTRY_TUNNEL_PATH,
} from "../../src/shared/telemetry/client-config.ts";
import { SPAN_NAMES } from "../../src/shared/telemetry/names.ts";
import {
  ensureBuilt,
  eventually,
  hideAndShowPage,
  launchChromium,
  metricSample,
  openPage,
  recordRequests,
  startGameInProcess,
} from "./harness.ts";
import type { InProcessGame, PageRequest, WatchedPage } from "./harness.ts";

const VIEW_CHUNKS = 3;
/** `player=` stands for personal data in the page URL: it must not reach a crash report. */
const PERSONAL_QUERY = "player=jane-e2e";
const PAGE_PATH = `?view=${VIEW_CHUNKS}&autotest=1&${PERSONAL_QUERY}`;
const LOAD_TIMEOUT = 150_000;
/** Personal data put into the test crash's message. */
const CRASH_EMAIL = "jane.doe@example.com";
const CRASH_IP = "203.0.113.77";

/** Paths on the game port that carry client telemetry. */
const TELEMETRY_PATHS = [CLIENT_CONFIG_PATH, BREADCRUMBS_PATH, SENTRY_TUNNEL_PATH, OTLP_TRACES_PATH] as const;

/** True for a request that carries telemetry: any telemetry path, or any host but the game's. */
function isTelemetry(url: string, origin: string): boolean {
  const u = new URL(url);
  if (u.protocol === "data:" || u.protocol === "blob:") return false;
  if (u.origin !== origin) return true;
  return u.pathname.startsWith("/telemetry/") || (TELEMETRY_PATHS as readonly string[]).includes(u.pathname);
}

function servedTelemetry(served: readonly string[]): string[] {
  return served.filter((line) => {
    const path = line.slice(line.indexOf(" ") + 1);
    return path.startsWith("/telemetry/") || path === OTLP_TRACES_PATH;
  });
}

function describeRequests(list: readonly PageRequest[]): string {
  return list.map((r) => `${r.method} ${r.url} (${r.type})`).join("\n") || "(none)";
}

/** Opens the game, records its requests from the first one, and waits for "playing". */
async function openGame(browser: Browser, server: InProcessGame): Promise<{ watched: WatchedPage; requests: PageRequest[] }> {
  const watched = await openPage(browser);
  const requests = recordRequests(watched.page.context());
  const t0 = Date.now();
  await watched.page.goto(server.url + PAGE_PATH);
  try {
    await watched.page.waitForFunction(() => document.body.dataset.state !== "loading", null, { timeout: LOAD_TIMEOUT, polling: 250 });
  } catch (err) {
    throw new Error(`page stayed "loading"\nconsole:\n${watched.console.join("\n")}`, { cause: err });
  }
  expect(await watched.page.evaluate(() => document.body.dataset.state), `console:\n${watched.console.join("\n")}`).toBe("playing");
  console.log(`e2e: "playing" after ${Date.now() - t0} ms`);
  return { watched, requests };
}

/** Plays for `ms`: walks, turns and fires through the automation hook, as a player would. */
async function play(page: Page, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let turn = 0;
  await page.keyboard.down("KeyW");
  try {
    while (Date.now() < end) {
      await page.evaluate((yaw) => {
        window.__game?.aim(yaw, -0.05);
        window.__game?.fire();
      }, turn);
      turn += 0.35;
      await page.waitForTimeout(Math.min(1000, Math.max(0, end - Date.now())));
    }
  } finally {
    await page.keyboard.up("KeyW");
  }
}

/** Sets a consent switch through the settings panel, then closes the panel. */
async function setConsent(page: Page, channel: "performance" | "crash", on: boolean): Promise<void> {
  await page.getByTestId("settings-button").click();
  const box = page.getByTestId(`consent-${channel}`);
  await box.waitFor({ state: "visible" });
  await box.setChecked(on);
  expect(await box.isChecked()).toBe(on);
  await page.getByTestId("settings-close").click();
  await page.getByTestId("settings-panel").waitFor({ state: "hidden" });
}

/** Presses F3 with the focus on the page itself (keys typed into the settings panel stay there). */
async function toggleOverlay(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press("F3");
}

/** The dev overlay's figures by data-stat key. */
async function overlayFigures(page: Page): Promise<Record<string, string>> {
  return page.$$eval("[data-testid=dev-overlay] [data-stat]", (els) =>
    Object.fromEntries(els.map((el) => [(el as HTMLElement).dataset.stat ?? "", el.textContent ?? ""])),
  );
}

/** The value of every game_client_* sample, by its full series line. */
function clientSeries(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("game_client_")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

interface CrashList {
  crashes: { seq: number; header: Record<string, unknown>; items: { header: Record<string, unknown>; payload: unknown }[] }[];
}
interface TraceList {
  traces: { trace_id: string; spans: { trace_id: string; span_id: string; parent_span_id?: string; parent_remote: boolean; name: string; attributes: Record<string, unknown> }[] }[];
}

describe("client telemetry, one player's consent story", () => {
  let server: InProcessGame;
  let browser: Browser;
  let page: Page;
  let requests: PageRequest[];
  let origin: string;

  beforeAll(async () => {
    ensureBuilt();
    // Sample every trace; keep enough of them that 30 server ticks a second do not evict a
    // command's trace before the client's span arrives (the browser exports every 5 s).
    server = await startGameInProcess({ TRACE_SAMPLE: "1" }, { traceStore: { maxTraces: 2000, maxSpans: 40_000 } });
    origin = new URL(server.url).origin;
    browser = await launchChromium();
    const opened = await openGame(browser, server);
    page = opened.watched.page;
    requests = opened.requests;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("ten seconds of play without consent send nothing, not even the config request", async () => {
    await play(page, 10_000);
    // With the HUD, sound, the scoreboard and the game settings all in use as well.
    await page.mouse.click(400, 300);
    await page.keyboard.down("Tab");
    await page.getByTestId("scoreboard").waitFor({ state: "visible" });
    await page.waitForFunction(() => (document.querySelector("[data-testid=scoreboard] tbody")?.children.length ?? 0) > 0, null, { timeout: 10_000 });
    await page.keyboard.up("Tab");
    // Escape frees the mouse and pauses into the settings.
    await page.keyboard.press("Escape");
    await page.getByTestId("settings-panel").waitFor({ state: "visible" });
    await page.getByTestId("setting-volume").focus();
    await page.keyboard.press("ArrowLeft");
    await page.getByTestId("settings-close").click();
    await page.getByTestId("settings-panel").waitFor({ state: "hidden" });
    expect(await page.getByTestId("hud-health").innerText()).toMatch(/^\d+$/);
    expect((await page.evaluate(() => window.__game!.hud())).sound.played.shot).toBeGreaterThan(0);
    const sent = requests.filter((r) => isTelemetry(r.url, origin));
    expect(sent, describeRequests(sent)).toEqual([]);
    expect(servedTelemetry(server.served)).toEqual([]);
    // The requests the page did make reached the server (the recording works).
    expect(server.served).toContain("GET /");
    const text = await server.scrape();
    for (const route of ["breadcrumbs", "traces", "sentry"]) {
      for (const result of ["accepted", "duplicate", "rejected", "rate_limited", "disabled"]) {
        expect(metricSample(text, "game_client_requests_total", { route, result }), `${route} ${result}`).toBe(0);
      }
    }
    expect((await server.debugJson<CrashList>("/debug/crashes")).crashes).toEqual([]);
    expect(await page.getByTestId("consent-performance").isChecked()).toBe(false);
    expect(await page.getByTestId("consent-crash").isChecked()).toBe(false);
  });

  test("F3 shows the dev overlay with live figures, without any consent", async () => {
    await toggleOverlay(page);
    await page.getByTestId("dev-overlay").waitFor({ state: "visible" });
    // Let the overlay refresh (every 250 ms) over a few frames.
    await page.waitForTimeout(1500);
    const first = await overlayFigures(page);
    await play(page, 3000);
    const second = await overlayFigures(page);
    console.log(`e2e: overlay ${JSON.stringify(second)}`);

    expect(Number(second.fps_p50)).toBeGreaterThan(0);
    expect(Number(second.chunks_total)).toBeGreaterThan(0);
    expect(Number(second.quads)).toBeGreaterThan(0);
    for (const key of ["fps_p50", "fps_p95", "fps_low1", "frame_ms", "cpu_ms", "chunks_drawn", "chunks_total", "quads", "gpu_memory", "gpu_validation"]) {
      expect(second[key], key).toMatch(/\d/);
    }
    expect(second.consent_performance).toBe("unset");
    expect(second.telemetry).toBe("off");
    const changed = Object.keys(second).filter((k) => second[k] !== first[k]);
    expect(changed.length, `figures unchanged over 3 s of play: ${JSON.stringify(second)}`).toBeGreaterThan(0);
    // The overlay is local: still nothing sent.
    expect(requests.filter((r) => isTelemetry(r.url, origin))).toEqual([]);
  });

  test("performance consent: a breadcrumb batch reaches the server and game_client_* metrics change", async () => {
    const before = clientSeries(await server.scrape());
    await setConsent(page, "performance", true);
    // The overlay shows the delivery state: the batcher and the tracer are running.
    await eventually("the breadcrumb batcher and tracer to start", 30_000, async () => {
      const t = (await overlayFigures(page)).telemetry;
      return t.includes("crumbs") && t.includes("traces") ? t : undefined;
    });
    expect(requests.some((r) => r.method === "GET" && new URL(r.url).pathname === CLIENT_CONFIG_PATH)).toBe(true);

    // A few seconds of frames, then hiding the page flushes the window at once (sendBeacon)
    // instead of after the 30 s timer.
    await play(page, 3000);
    await hideAndShowPage(page);

    const after = await eventually("an accepted breadcrumb batch", 30_000, async () => {
      const text = await server.scrape();
      return (metricSample(text, "game_client_requests_total", { route: "breadcrumbs", result: "accepted" }) ?? 0) > 0 ? text : undefined;
    });
    const beacons = requests.filter((r) => r.method === "POST" && new URL(r.url).pathname === BREADCRUMBS_PATH);
    expect(beacons.length, describeRequests(requests)).toBeGreaterThan(0);
    expect(server.served).toContain(`POST ${BREADCRUMBS_PATH}`);

    expect(metricSample(after, "game_client_frame_time_seconds_count")).toBeGreaterThan(0);
    // Client fps is derived from that histogram on the server; there is no client-reported gauge.
    expect(metricSample(after, "game_client_fps")).toBeUndefined();
    const changed = [...clientSeries(after)].filter(([series, v]) => before.get(series) !== v).map(([series]) => series);
    console.log(`e2e: ${changed.length} game_client_* series changed, e.g. ${changed.slice(0, 4).join(", ")}`);
    expect(changed.some((s) => s.startsWith("game_client_frame_time_seconds_bucket"))).toBe(true);
  });

  test("a fire command's trace holds the client span and the server spans under one trace id", async () => {
    // Performance consent is on (previous test); ParentBased sampling at ratio 1 traces every shot.
    const found = await eventually("a client.command span with server children in /debug/tracez", 90_000, async () => {
      await page.evaluate(() => window.__game?.fire());
      const { traces } = await server.debugJson<TraceList>("/debug/tracez?limit=2000");
      for (const t of traces) {
        const client = t.spans.find((s) => s.name === "client.command" && s.attributes["service.name"] === "voxel-shooter-client");
        if (!client) continue;
        const command = t.spans.find((s) => s.name === SPAN_NAMES.command && s.parent_span_id === client.span_id);
        if (command) return { trace: t, client, command };
      }
      return undefined;
    }, 2000);
    expect(found.command.trace_id).toBe(found.client.trace_id);
    expect(found.command.parent_remote).toBe(true);
    expect(found.client.attributes["command.kind"]).toBe("fire");
    // The shot's later work (projectile, raycast, carve...) continues the same trace.
    const names = new Set(found.trace.spans.map((s) => s.name));
    console.log(`e2e: trace ${found.trace.trace_id}: ${[...names].join(", ")}`);
    expect(names.has(SPAN_NAMES.projectileIntegrate)).toBe(true);
    expect(requests.some((r) => r.method === "POST" && new URL(r.url).pathname === OTLP_TRACES_PATH)).toBe(true);
  });

  test("crash consent: a test crash reaches the crash inbox without personal data", async () => {
    await setConsent(page, "crash", true);
    await eventually("Sentry to start", 30_000, async () => ((await overlayFigures(page)).telemetry.includes("crashes") ? true : undefined));
    const seqBefore = Math.max(0, ...(await server.debugJson<CrashList>("/debug/crashes")).crashes.map((c) => c.seq));

    // The crash: an uncaught exception in the page (the production build has no crash button;
    // development builds offer window.__voxelTelemetry.testCrash(), which does the same).
    await page.evaluate(
      ([email, ip]) => {
        setTimeout(() => {
          throw new Error(`e2e test crash for ${email} from ${ip}`);
        }, 0);
      },
      [CRASH_EMAIL, CRASH_IP] as const,
    );
    const crash = await eventually("the crash envelope in /debug/crashes", 30_000, async () => {
      const { crashes } = await server.debugJson<CrashList>("/debug/crashes");
      return crashes.find((c) => c.seq > seqBefore && JSON.stringify(c).includes("e2e test crash"));
    });
    const text = JSON.stringify(crash);
    console.log(`e2e: crash envelope ${text.length} bytes`);
    expect(requests.some((r) => r.method === "POST" && new URL(r.url).pathname === SENTRY_TUNNEL_PATH)).toBe(true);
    for (const personal of [CRASH_EMAIL, "example.com", CRASH_IP, "jane", PERSONAL_QUERY]) {
      expect(text, personal).not.toContain(personal);
    }
    expect(text).not.toMatch(/"(user|ip_address|cookies|headers)"\s*:/);
    const event = crash.items.find((i) => i.header.type === "event")?.payload as Record<string, unknown> | undefined;
    expect(event).toBeDefined();
    expect(String(event?.release)).toMatch(/^voxel-shooter@\d+\.\d+\.\d+-/);
    // Nothing went to a Sentry host directly: only the same-origin tunnel.
    expect(requests.filter((r) => new URL(r.url).origin !== origin && !r.url.startsWith("data:"))).toEqual([]);
  });

  test("withdrawing consent stops every request at once", async () => {
    const metricsBefore = await server.scrape();
    const crashesBefore = (await server.debugJson<CrashList>("/debug/crashes")).crashes.length;
    await setConsent(page, "performance", false);
    await setConsent(page, "crash", false);
    const pageMark = requests.length;
    const serverMark = server.served.length;

    // Everything that sent something before: frames, a hide flush, shots, and a crash.
    await play(page, 6000);
    await hideAndShowPage(page);
    await page.evaluate(() => {
      setTimeout(() => {
        throw new Error("e2e crash after withdrawal");
      }, 0);
    });
    await play(page, 6000);

    const sent = requests.slice(pageMark).filter((r) => isTelemetry(r.url, origin));
    expect(sent, describeRequests(sent)).toEqual([]);
    expect(servedTelemetry(server.served.slice(serverMark))).toEqual([]);
    const metricsAfter = await server.scrape();
    expect(metricSample(metricsAfter, "game_client_requests_total", { route: "breadcrumbs", result: "accepted" })).toBe(
      metricSample(metricsBefore, "game_client_requests_total", { route: "breadcrumbs", result: "accepted" }),
    );
    expect((await server.debugJson<CrashList>("/debug/crashes")).crashes.length).toBe(crashesBefore);
    const figures = await overlayFigures(page);
    expect(figures.consent_performance).toBe("withdrawn");
    expect(figures.consent_crash).toBe("withdrawn");
    expect(figures.telemetry).toBe("off");
  });
});

describe("client telemetry when the server turns it off (CLIENT_TELEMETRY=off)", () => {
  let server: InProcessGame;
  let browser: Browser;

  beforeAll(async () => {
    ensureBuilt();
    server = await startGameInProcess({ CLIENT_TELEMETRY: "off" });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("with both consents the client asks for the config once, then sends nothing", async () => {
    const { watched, requests } = await openGame(browser, server);
    const { page } = watched;
    const origin = new URL(server.url).origin;
    await setConsent(page, "performance", true);
    await setConsent(page, "crash", true);
    await toggleOverlay(page);
    await eventually("the client to see the server's answer", 30_000, async () =>
      (await overlayFigures(page)).telemetry === "server off" ? true : undefined,
    );

    await play(page, 4000);
    await hideAndShowPage(page);
    await page.evaluate(() => {
      setTimeout(() => {
        throw new Error("e2e crash with telemetry off");
      }, 0);
    });
    await play(page, 4000);

    const sent = requests.filter((r) => isTelemetry(r.url, origin));
    expect(sent.map((r) => `${r.method} ${new URL(r.url).pathname}`), describeRequests(sent)).toEqual([`GET ${CLIENT_CONFIG_PATH}`]);
    expect(servedTelemetry(server.served)).toEqual([`GET ${CLIENT_CONFIG_PATH}`]);
    expect((await server.debugJson<CrashList>("/debug/crashes")).crashes).toEqual([]);
    const text = await server.scrape();
    expect(metricSample(text, "game_client_requests_total", { route: "breadcrumbs", result: "accepted" })).toBe(0);
    expect(metricSample(text, "game_client_requests_total", { route: "breadcrumbs", result: "disabled" })).toBe(0);
  });
});
