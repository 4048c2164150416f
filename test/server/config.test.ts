// Server config: defaults, validation errors that name the setting, environment overrides.
import { describe, expect, it } from "vitest";
import { DEFAULT_SERVER_CONFIG, resolveServerConfig, serverConfigFromEnv, ServerConfigError } from "../../src/server/config.ts";

describe("server config", () => {
  it("defaults to 30 Hz on 127.0.0.1:8080 with at least 20 NPCs", () => {
    const c = resolveServerConfig();
    expect([c.tickHz, c.host, c.port]).toEqual([30, "127.0.0.1", 8080]);
    expect(c.npcCount).toBeGreaterThanOrEqual(20);
    expect(c).toEqual(DEFAULT_SERVER_CONFIG);
  });

  it("rejects bad values with an error naming the setting", () => {
    expect(() => resolveServerConfig({ tickHz: 0 })).toThrow(/tickHz/);
    expect(() => resolveServerConfig({ port: 70000 })).toThrow(ServerConfigError);
    expect(() => resolveServerConfig({ interestRadius: NaN })).toThrow(/interestRadius/);
    expect(() => resolveServerConfig({ zone: "a b" })).toThrow(/zone/);
    expect(() => resolveServerConfig({ respawnMs: 70_000 })).toThrow(/respawnMs/);
    expect(() => resolveServerConfig({ friendlyFire: "yes" as unknown as boolean })).toThrow(/friendlyFire/);
    expect(resolveServerConfig({ respawnMs: 0, friendlyFire: true })).toMatchObject({ respawnMs: 0, friendlyFire: true });
  });

  it("reads PORT, HOST, TICK_HZ and friends from the environment", () => {
    expect(serverConfigFromEnv({ PORT: "0", HOST: "0.0.0.0", TICK_HZ: "60", ZONE: "z2" })).toEqual({ port: 0, host: "0.0.0.0", tickHz: 60, zone: "z2" });
    expect(() => serverConfigFromEnv({ PORT: "eighty" })).toThrow(/PORT/);
    expect(serverConfigFromEnv({ RESPAWN_MS: "5000" })).toEqual({ respawnMs: 5000 });
    expect(serverConfigFromEnv({ SPAWN_SPREAD: "0" })).toEqual({ spawnSpread: 0 });
  });

  it("keeps each deadline inside the one it belongs to and each floor under its ceiling", () => {
    expect(() => resolveServerConfig({ httpHeadersTimeoutMs: 40_000, httpRequestTimeoutMs: 30_000 })).toThrow(/httpHeadersTimeoutMs/);
    expect(() => resolveServerConfig({ heartbeatIntervalMs: 20_000, heartbeatTimeoutMs: 10_000 })).toThrow(/heartbeatIntervalMs/);
    expect(() => resolveServerConfig({ sendQueueFloorBytes: 1 << 23, sendQueueCeilingBytes: 1 << 22 })).toThrow(/sendQueueFloorBytes/);
    expect(() => resolveServerConfig({ maxConnectionsPerAddress: 0 })).toThrow(/maxConnectionsPerAddress/);
    const c = resolveServerConfig();
    expect(c.helloTimeoutMs).toBe(10_000);
    expect(c.heartbeatTimeoutMs).toBeGreaterThan(c.heartbeatIntervalMs);
  });

  it("reads the connection caps and the shutdown deadline from the environment", () => {
    expect(serverConfigFromEnv({ MAX_CONNECTIONS: "500", MAX_CONNECTIONS_PER_ADDRESS: "8", SHUTDOWN_TIMEOUT_MS: "5000" }))
      .toEqual({ maxConnections: 500, maxConnectionsPerAddress: 8, shutdownTimeoutMs: 5000 });
    expect(() => resolveServerConfig(serverConfigFromEnv({ MAX_CONNECTIONS: "-1" }))).toThrow(/maxConnections/);
  });
});
