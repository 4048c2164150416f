// The bots run the browser's network client in Node. Every client module a bot loads at run
// time (type-only imports are erased) must therefore stay free of browser-only globals
// (document, window, localStorage, requestAnimationFrame, ...): checked here with ESLint's scope
// analysis on exactly the files the bot's import graph reaches, so the list never goes stale.
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import globals from "globals";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const BOT = resolve(ROOT, "src/server/bots/bot.ts");

/** Relative modules `file` loads at run time (`import type` and `export type` lines are skipped). */
function runtimeImports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+["'](\.[^"']+)["']/gms)) {
    if (m[2] === undefined) out.push(resolve(dirname(file), m[3]));
  }
  return out;
}

/** Every module reachable from `entry` through run-time imports. */
function closure(entry: string): string[] {
  const seen = new Set<string>([entry]);
  const todo = [entry];
  while (todo.length > 0) {
    for (const f of runtimeImports(todo.pop()!)) {
      if (!seen.has(f)) {
        seen.add(f);
        todo.push(f);
      }
    }
  }
  return [...seen];
}

/**
 * Globals a browser has and Node does not: the browser's minus Node's, plus those newer Node
 * versions added that Node 20 (the oldest the package supports) lacks.
 */
const BROWSER_ONLY = [
  ...Object.keys(globals.browser).filter((k) => !(k in globals.node)),
  "localStorage", "sessionStorage", "navigator", "WebSocket",
];

describe("the client code the bots run in Node", () => {
  const clientFiles = closure(BOT).filter((f) => f.startsWith(resolve(ROOT, "src/client") + "/"));

  it("is the page's own network client", () => {
    const names = clientFiles.map((f) => relative(ROOT, f));
    expect(names).toContain("src/client/net/connection.ts");
    expect(names).toContain("src/client/net/online-session.ts");
    expect(names).toContain("src/client/net/world-sync.ts");
    expect(names).toContain("src/client/net/server-authority.ts");
  });

  it("uses no browser-only global", async () => {
    const eslint = new ESLint({ cwd: ROOT, overrideConfig: { rules: { "no-restricted-globals": ["error", ...BROWSER_ONLY] } } });
    const results = await eslint.lintFiles(clientFiles);
    const uses = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === "no-restricted-globals").map((m) => `${relative(ROOT, r.filePath)}:${m.line} ${m.message}`));
    expect(uses).toEqual([]);
  });
});
