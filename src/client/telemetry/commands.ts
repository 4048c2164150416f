// Command tracing vocabulary, free of SDK imports so game code and the facade can use it
// without loading OpenTelemetry.

/** Player commands that get a client span. */
export type TracedCommand = "fire";

/** How a command span ends. */
export type CommandOutcome = "confirmed" | "rejected" | "timeout" | "superseded";

/** Span and attribute names of client spans. */
export const CLIENT_SPANS = {
  command: "client.command",
  attrKind: "command.kind",
  attrId: "command_id",
  attrSession: "session_id",
  attrOutcome: "command.outcome",
} as const;

/** What the game uses: begin a command span, end it on confirmation; shutdown discards. */
export interface CommandTracer {
  /** Starts a span for a command and returns the traceparent to put in its envelope. */
  begin(commandId: number, kind: TracedCommand): string;
  /** Ends the command's span (a no-op for unknown ids). */
  end(commandId: number, outcome: CommandOutcome): void;
  /** Exports the spans ended so far now (page hide, tests) instead of at the next batch tick. */
  flush(): Promise<void>;
  /** Stops exporting at once: queued spans are discarded, nothing more is sent. */
  shutdown(): Promise<void>;
}
