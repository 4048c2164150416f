// Just enough of a browser window for the client telemetry features, on fake timers: frames
// every 16 ms of a fake clock, a visibility switch, storage, sendBeacon and a scripted fetch.
import type { StorageLike } from "../../../src/client/telemetry/consent.ts";

interface Req {
  url: string;
  method: string;
  body?: string;
}

/** A window whose fetch answers the client config with `config` and every other request with 202. */
export function fakeWindow(config: object) {
  const requests: Req[] = [];
  const beacons: string[] = [];
  const data = new Map<string, string>();
  const storage: StorageLike = { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
  const doc = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState });
  let t = 0;
  const win = Object.assign(new EventTarget(), {
    document: doc,
    performance: { now: () => t, timeOrigin: 1_700_000_000_000 },
    requestAnimationFrame: (cb: (now: number) => void) =>
      setTimeout(() => {
        t += 16;
        cb(t);
      }, 16) as unknown as number,
    cancelAnimationFrame: (id: number) => clearTimeout(id),
    navigator: { sendBeacon: (url: string) => (beacons.push(url), true) },
    location: { href: "http://game.test/" },
    localStorage: storage,
    fetch: (url: string, init: RequestInit = {}) => {
      requests.push({ url, method: init.method ?? "GET", body: typeof init.body === "string" ? init.body : undefined });
      if (url.endsWith("/config")) return Promise.resolve(new Response(JSON.stringify(config), { status: 200 }));
      return Promise.resolve(new Response("{}", { status: 202 }));
    },
  });
  const setHidden = (hidden: boolean): void => {
    doc.visibilityState = hidden ? "hidden" : "visible";
    doc.dispatchEvent(new Event("visibilitychange"));
  };
  return { win: win as unknown as Window, requests, beacons, storage, setHidden };
}
