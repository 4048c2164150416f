// The client's telemetry facade: the few calls game code makes (command tracing, error
// reports, GPU error scopes). A no-op until installClientTelemetry() installs a backend, and
// again after it is disposed, so game code never checks whether telemetry is on.

import { InstallStack } from "../../shared/telemetry/install-stack.ts";
import type { CommandOutcome, TracedCommand } from "./commands.ts";
import type { GpuDeviceLike } from "./gpu-errors.ts";

/** What installClientTelemetry() plugs in. */
export interface ClientTelemetryBackend {
  beginCommand(commandId: number, kind: TracedCommand): string | undefined;
  endCommand(commandId: number, outcome: CommandOutcome): void;
  captureError(err: unknown): void;
  gpuScope<T>(device: GpuDeviceLike, site: "upload" | "pipeline", fn: () => T | Promise<T>): Promise<T>;
}

const NOOP: ClientTelemetryBackend = {
  beginCommand: () => undefined,
  endCommand: () => {},
  captureError: () => {},
  gpuScope: async (_d, _s, fn) => fn(),
};

const backends = new InstallStack<ClientTelemetryBackend>(NOOP);

/**
 * Installs a backend over the current one; returns its uninstall. The newest backend still
 * installed is active, whatever order they are uninstalled in.
 */
export function installClientBackend(backend: ClientTelemetryBackend): () => void {
  return backends.install(backend);
}

/**
 * Starts tracing a player command; returns the W3C traceparent for the command envelope, or
 * undefined when tracing is off (no performance consent, or sampling disabled by the server).
 */
export function commandTraceparent(commandId: number, kind: TracedCommand): string | undefined {
  return backends.active.beginCommand(commandId, kind);
}

/** Ends a command's span when the server confirms (or rejects) it. */
export function commandDone(commandId: number, outcome: CommandOutcome): void {
  backends.active.endCommand(commandId, outcome);
}

/** Reports a caught error as a crash report (only with crash consent). */
export function reportError(err: unknown): void {
  backends.active.captureError(err);
}

/**
 * Runs GPU work (buffer uploads, pipeline creation) inside WebGPU error scopes; errors are
 * counted (upload failures too) and, with crash consent, reported once each.
 */
export function gpuScope<T>(device: GpuDeviceLike, site: "upload" | "pipeline", fn: () => T | Promise<T>): Promise<T> {
  return backends.active.gpuScope(device, site, fn);
}
