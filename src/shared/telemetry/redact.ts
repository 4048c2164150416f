// Masking of IP addresses in free text, shared by the client's crash-report scrubber and the
// server's Sentry tunnel (defence in depth: both run on every crash report).

const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g;
/** Runs of hex digits and colons with at least two colons, not glued to other word characters. */
const IPV6_CANDIDATE = /(?<![0-9a-z:.])[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:.]*(?![0-9a-z:])/gi;

/** True when a hex-and-colon run is shaped like an IPv6 address (not a time like 12:30:45). */
function looksLikeIpv6(s: string): boolean {
  const compressed = s.includes("::");
  const groups = s.split(":");
  if (groups.length > 9 || (!compressed && groups.length < 4)) return false;
  let digits = 0;
  for (const g of groups) {
    if (g.length > 4 && !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(g)) return false;
    digits += g.length;
  }
  return digits >= (compressed ? 1 : 2);
}

/** Replaces IPv4 and IPv6 addresses in text with "[ip]". */
export function maskIpAddresses(text: string): string {
  // IPv6 first: an IPv4-mapped address (::ffff:192.0.2.1) is one address, not two.
  return text.replace(IPV6_CANDIDATE, (m) => (looksLikeIpv6(m) ? "[ip]" : m)).replace(IPV4, "[ip]");
}
