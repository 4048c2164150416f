// The machinery of the server's configuration (config.ts has the settings): a setting is a zod
// schema, the environment variable that sets it, and what its failures say. Values arrive in
// layers (defaults, then the JSON file, then the environment, then what code fixes); each raw
// value is parsed once, and a bad one throws a ConfigError that names where it came from (the
// variable, "<file>: <key>" or the key) and the bad value (withheld when it may hold a secret).
import { readFileSync } from "node:fs";
import type { z } from "../shared/zod.ts";

/** A bad setting; `setting` is the variable, file key or config key named at the start of the message. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly setting: string, detail: string) {
    super(`${setting}: ${detail}`);
  }
}

/** One setting. */
export interface Setting<T> {
  /** Parses a raw value (a JSON value from the file or code, or the environment string after `text`). */
  readonly schema: z.ZodType<T>;
  /** What a failed check says before ", got <value>" (a check with its own message says that instead). */
  readonly expected: string;
  /** The environment variable that sets it, if any. */
  readonly env?: string;
  /** Turns the variable's text into the raw value (numbers); absent, the text is the raw value. */
  readonly text?: (raw: string) => unknown;
}

/** Quotes a user value for an error message: truncated, and withheld if it may hold credentials. */
export function shown(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const s = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  if (/@|token|secret|password|key=/i.test(s)) return "<redacted>";
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

/** Parses `raw` with the setting's schema; throws a ConfigError naming `source`. */
export function parseSetting<T>(setting: Setting<T>, raw: unknown, source: string): T {
  const parsed = setting.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ConfigError(source, issue?.code === "custom" ? issue.message : `${setting.expected}, got ${shown(raw)}`);
}

/** A number from an environment variable's text; throws naming the variable when it is not one. */
export function numberText(name: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new ConfigError(name, `not a number: ${JSON.stringify(raw)}`);
    return n;
  };
}

/** Finds `--<flag> <path>` or `--<flag>=<path>` in argv. */
export function pathFromArgv(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === flag) {
      const next = argv[i + 1];
      if (next === undefined || next === "") throw new ConfigError(flag, "needs a file path");
      return next;
    }
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/** Reads a JSON config file holding one object; errors name `source` (the flag or variable that named the file). */
export function readJsonObject(path: string, source: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read failed";
    throw new ConfigError(source, `cannot read config file ${shown(path)}: ${code}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(source, `config file ${shown(path)} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConfigError(source, `config file ${shown(path)} must hold a JSON object`);
  }
  return data as Record<string, unknown>;
}
