// flags.json validation: flagd's schema and the game's rules, each error naming its flag.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLAGS } from "../../../src/shared/flags/definitions.ts";
import { FlagFileError, flagsForScope, parseFlagFile } from "../../../src/shared/flags/validate.ts";

const SHIPPED = readFileSync(join(import.meta.dirname, "../../../flags.json"), "utf8");
type Flags = Record<string, Record<string, unknown>>;

/** The shipped file with `change` applied to its flags, as text. */
function variant(change: (f: Flags) => void): string {
  const doc = JSON.parse(SHIPPED) as { flags: Flags };
  change(doc.flags);
  return JSON.stringify(doc);
}

function errorOf(text: string): FlagFileError {
  try {
    parseFlagFile(text);
  } catch (err) {
    if (err instanceof FlagFileError) return err;
    throw err;
  }
  throw new Error("no error");
}

describe("parseFlagFile", () => {
  it("accepts the shipped flags.json, which defines every flag the game knows", () => {
    const file = parseFlagFile(SHIPPED);
    expect(Object.keys(file.json.flags).sort()).toEqual(Object.values(FLAGS).map((f) => f.key).sort());
    expect(file.experiments).toEqual({});
    expect(parseFlagFile(variant((f) => void (f["tick-rate"].state = "ENABLED"))).experiments).toEqual({ server: "tick-rate" });
  });

  it("names the flag for each kind of mistake", () => {
    const cases: [(f: Flags) => void, string | null, RegExp][] = [
      [(f) => void ((f["trace-ratio"].variants as Record<string, number>).full = 2), "trace-ratio", /variant "full": .*<=1/],
      [(f) => void ((f["mesher-mode"].variants as Record<string, string>).pool = "turbo"), "mesher-mode", /variant "pool"/],
      [(f) => void (f["view-distance"].defaultVariant = "huge"), "view-distance", /Default variant huge missing|defaultVariant/],
      [(f) => void ((f["interest-radius"].metadata as Record<string, unknown>).experiment = true), "interest-radius", /cannot be an experiment/],
      [(f) => void ((f["tick-rate"].metadata as Record<string, unknown>).experiment = "yes"), "tick-rate", /experiment must be true or false/],
      [(f) => void delete (f["trace-ratio"].metadata as Record<string, unknown>).scope, "trace-ratio", /metadata.scope must be "server"/],
      [(f) => void (f["tick-rate"].targeting = { nosuchop: [1, 2] }), "tick-rate", /targeting/],
      [(f) => {
        f["tick-rate"].state = "ENABLED";
        f["view-distance"] = { ...f["view-distance"], variants: { control: 8, a: 12 }, defaultVariant: "control", metadata: { scope: "client", experiment: true } };
        f["mesher-mode"] = { ...f["mesher-mode"], variants: { control: "pool", a: "single" }, defaultVariant: "control", metadata: { scope: "client", experiment: true } };
      }, "mesher-mode", /a second client experiment beside "view-distance"/],
    ];
    for (const [change, flag, message] of cases) {
      const err = errorOf(variant(change));
      expect(err.flag, err.message).toBe(flag);
      expect(err.message).toMatch(new RegExp(`^flags\\.json: flag "${flag}": `));
      expect(err.message).toMatch(message);
    }
  });

  it("names the file when it is not a flag document at all", () => {
    for (const text of ["", "[]", "{}", '{"flags": []}', '{"flags": ']) {
      const err = errorOf(text);
      expect(err.flag).toBeNull();
      expect(err.message).toMatch(/^flags\.json: /);
    }
  });

  it("splits the file by scope: each side gets only its own flags", () => {
    const file = parseFlagFile(SHIPPED);
    expect(Object.keys((JSON.parse(flagsForScope(file, "client")) as { flags: object }).flags).sort()).toEqual(["mesher-mode", "view-distance"]);
    expect(Object.keys((JSON.parse(flagsForScope(file, "server")) as { flags: object }).flags).sort()).toEqual(["interest-radius", "tick-rate", "trace-ratio"]);
  });
});
