import { describe, expect, it } from "vitest";
import { maskIpAddresses } from "../../../src/shared/telemetry/redact.ts";

describe("maskIpAddresses", () => {
  it("masks IPv4 and IPv6 addresses, compressed or not", () => {
    expect(maskIpAddresses("from 203.0.113.7:443")).toBe("from [ip]:443");
    expect(maskIpAddresses("peer 2001:db8::1:2:3 left")).toBe("peer [ip] left");
    expect(maskIpAddresses("loopback ::1")).toBe("loopback [ip]");
    expect(maskIpAddresses("fe80:0:0:0:200:f8ff:fe21:67cf")).toBe("[ip]");
    expect(maskIpAddresses("mapped ::ffff:192.0.2.1")).toBe("mapped [ip]");
  });

  it("leaves look-alikes alone: times, line:column, C++ scopes, versions with three parts", () => {
    for (const s of ["at 12:30:45", "main.js:12:34", "std::vector", "v11.12.0", "ratio 1:2", "deadbeef"]) {
      expect(maskIpAddresses(s)).toBe(s);
    }
  });
});
