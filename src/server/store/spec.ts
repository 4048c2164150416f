// The STORE setting: which engine keeps the world.
//   sqlite:<dir>                 one SQLite file per zone under <dir> (default sqlite:./data)
//   postgres://user@host/db      PostgreSQL (postgresql:// too)
//   memory                       nothing survives the process (tests, the loadtest baseline)

/** The default STORE. */
export const DEFAULT_STORE = "sqlite:./data";

/** A parsed STORE setting. */
export type StoreSpec =
  | { readonly backend: "sqlite"; readonly dir: string }
  | { readonly backend: "postgres"; readonly url: string }
  | { readonly backend: "memory" };

/** Parses STORE; returns an error text (for the config error) when it names no engine. */
export function parseStoreSpec(value: string): StoreSpec | string {
  const v = value.trim();
  if (v === "memory") return { backend: "memory" };
  if (v.startsWith("sqlite:")) {
    const dir = v.slice("sqlite:".length);
    return dir.length > 0 ? { backend: "sqlite", dir } : "sqlite: needs a directory, e.g. sqlite:./data";
  }
  if (v.startsWith("postgres://") || v.startsWith("postgresql://")) {
    try {
      new URL(v);
    } catch {
      return "not a valid postgres:// URL";
    }
    return { backend: "postgres", url: v };
  }
  return "expected sqlite:<dir>, postgres://... or memory";
}

/** A STORE value for logs: the engine and, for PostgreSQL, host and database only (never credentials). */
export function describeStore(spec: StoreSpec): string {
  if (spec.backend === "sqlite") return `sqlite:${spec.dir}`;
  if (spec.backend === "memory") return "memory";
  const u = new URL(spec.url);
  return `postgres://${u.host}${u.pathname}`;
}
