import { describe, expect, it } from "vitest";
import type { Event } from "@sentry/browser";
import { redactText, scrubBreadcrumb, scrubEvent, stripUrl } from "../../../src/client/telemetry/scrub.ts";

function personalEvent(): Event {
  return {
    event_id: "0123456789abcdef0123456789abcdef",
    message: "player alice@example.com lost connection from 203.0.113.7",
    user: { id: "42", email: "alice@example.com", ip_address: "203.0.113.7", username: "alice" },
    server_name: "alice-laptop",
    extra: { chat: "hi all" },
    request: {
      url: "https://game.example/play?name=alice&token=abc#lobby",
      headers: { "User-Agent": "Mozilla/5.0", Referer: "https://game.example/?name=alice", Cookie: "sid=1" },
      cookies: { sid: "1" },
      query_string: "name=alice",
      data: { name: "alice" },
    },
    contexts: { culture: { locale: "de-DE", timezone: "Europe/Berlin" }, trace: { trace_id: "t", span_id: "s" }, gpu: { vendor: "google" } },
    tags: { gpu_error: "validation", player: "Alice Smith <alice@example.com>" },
    exception: {
      values: [
        {
          type: "Error",
          value: "bad token Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig for 2001:db8::1:2:3",
          stacktrace: { frames: [{ filename: "https://game.example/assets/main.js?v=1&u=alice", abs_path: "https://u:p@game.example/a.js?x", vars: { name: "alice" } }] },
        },
      ],
    },
    breadcrumbs: [
      { category: "console", message: "hello alice", timestamp: 1 },
      { category: "ui.click", message: "button#join[name=alice]", timestamp: 2 },
      { category: "fetch", type: "http", data: { method: "GET", status_code: 200, url: "/api?name=alice", request_body: "x" }, timestamp: 3 },
      { category: "navigation", data: { from: "/?a=1", to: "/play?name=alice" }, message: "free text", timestamp: 4 },
    ],
    sdk: { name: "sentry.javascript.browser", version: "11.12.0" },
  };
}

describe("scrubEvent", () => {
  it("removes user, IP, headers, cookies, query strings and free-text breadcrumbs", () => {
    const e = scrubEvent(personalEvent());
    const text = JSON.stringify(e);
    for (const needle of ["alice", "203.0.113.7", "2001:db8", "Mozilla", "sid=1", "eyJ", "Berlin", "hi all", "laptop"]) {
      expect(text).not.toContain(needle);
    }
    expect(e.user).toBeUndefined();
    expect(e.request).toEqual({ url: "https://game.example/play" });
    expect(e.contexts).toEqual({ trace: { trace_id: "t", span_id: "s" }, gpu: { vendor: "google" } });
    expect(e.tags).toEqual({ gpu_error: "validation" });
    expect(e.exception!.values![0].stacktrace!.frames![0]).toEqual({
      filename: "https://game.example/assets/main.js",
      abs_path: "https://game.example/a.js",
    });
    expect(e.breadcrumbs).toEqual([
      { category: "fetch", type: "http", data: { method: "GET", status_code: 200, url: "/api" }, timestamp: 3, level: undefined },
      { category: "navigation", data: { from: "/", to: "/play" }, timestamp: 4, level: undefined },
    ]);
    expect(e.sdk?.settings).toEqual({ infer_ip: "never" });
    expect(e.exception!.values![0].type).toBe("Error");
  });
});

describe("scrub helpers", () => {
  it("redacts emails, IP addresses and tokens in free text", () => {
    expect(redactText("mail bob@example.org now")).toBe("mail [email] now");
    expect(redactText("from 10.0.0.12:443")).toBe("from [ip]:443");
    expect(redactText("password=hunter2 ok")).toBe("password=[redacted] ok");
    expect(redactText("WebGPU validation error at draw 12")).toBe("WebGPU validation error at draw 12");
  });

  it("strips query, fragment and credentials from URLs", () => {
    expect(stripUrl("https://u:p@h.io/a/b?c=d#e")).toBe("https://h.io/a/b");
    expect(stripUrl("/rel?x")).toBe("/rel");
    expect(stripUrl("plain")).toBe("plain");
  });

  it("drops breadcrumb categories that carry free text", () => {
    expect(scrubBreadcrumb({ category: "console", message: "x" })).toBeNull();
    expect(scrubBreadcrumb({ category: "ui.input", message: "x" })).toBeNull();
    expect(scrubBreadcrumb({ category: "xhr", message: "x", data: { url: "/a?b" } })).toEqual({ category: "xhr", data: { url: "/a" } });
  });
});
