// The zone settings: how this process finds the others (COORD) and which zones border its own
// (ZONE_LINKS).
//   COORD=local               one process, no coordination (the default; the game as it always was)
//   COORD=redis://host:port   zones coordinate through Redis (directory, seats, tickets, events)
//   ZONE_LINKS=east=b,west=a  the zone across each edge of this one (east: +x, west: -x,
//                             south: +z, north: -z); an edge without a link is a wall
// Ownership of a zone never comes from Redis: it is the store's lease (store/types.ts).

/** Zone names are metric labels (the ZONE setting's rule). */
const ZONE_NAME = /^[a-z0-9_-]{1,32}$/;

/** The four edges of a zone's square, named by compass direction (north is -z: yaw 0 faces north). */
export const EDGES = ["east", "west", "north", "south"] as const;
export type Edge = (typeof EDGES)[number];

/** A parsed COORD setting. */
export type CoordSpec = { readonly kind: "local" } | { readonly kind: "redis"; readonly url: string };

/** The default COORD. */
export const DEFAULT_COORD = "local";

/** Parses COORD; returns an error text (for the config error) when it is neither local nor a redis:// URL. */
export function parseCoordSpec(value: string): CoordSpec | string {
  const v = value.trim();
  if (v === "local") return { kind: "local" };
  if (v.startsWith("redis://") || v.startsWith("rediss://")) {
    let host: string;
    try {
      host = new URL(v).hostname;
    } catch {
      return "not a valid redis:// URL";
    }
    return host === "" ? "not a valid redis:// URL: it needs a host" : { kind: "redis", url: v };
  }
  return "expected local or redis://host:port";
}

/** A COORD value for logs: scheme, host and port only (never a password). */
export function describeCoord(spec: CoordSpec): string {
  if (spec.kind === "local") return "local";
  const u = new URL(spec.url);
  return `${u.protocol}//${u.host}`;
}

/** Neighbouring zones by edge. */
export type ZoneLinks = Readonly<Partial<Record<Edge, string>>>;

/** Parses ZONE_LINKS (`east=b,west=a`, empty for none); returns an error text when malformed. */
export function parseZoneLinks(value: string, self?: string): ZoneLinks | string {
  const links: Partial<Record<Edge, string>> = {};
  for (const part of value.split(",").map((p) => p.trim()).filter((p) => p.length > 0)) {
    const eq = part.indexOf("=");
    const edge = part.slice(0, eq).trim() as Edge;
    const zone = part.slice(eq + 1).trim();
    if (eq < 0 || !EDGES.includes(edge)) return `"${part}": expected edge=zone with edge one of ${EDGES.join(", ")}`;
    if (!ZONE_NAME.test(zone)) return `"${part}": the zone must match [a-z0-9_-]{1,32}`;
    if (links[edge] !== undefined) return `"${part}": edge ${edge} is linked twice`;
    if (zone === self) return `"${part}": a zone cannot link to itself`;
    links[edge] = zone;
  }
  return links;
}
