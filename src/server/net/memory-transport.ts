// An in-process Transport for tests: "clients" are objects that push frames in and collect the
// frames sent to them, with no sockets, so session rules can be tested deterministically.
import type { ConnId, Transport, TransportHandlers } from "./transport.ts";

/** One in-memory client connection. */
export class MemoryClient {
  readonly received: Uint8Array[] = [];
  closed: { code: number; reason: string } | null = null;
  /** Bytes this client pretends not to have read yet (what buffered() reports), to play a slow reader. */
  backlog = 0;

  constructor(
    private readonly transport: MemoryTransport,
    readonly conn: ConnId,
  ) {}

  /** Delivers one binary frame to the server. */
  send(data: Uint8Array): void {
    this.transport.deliver(this.conn, data);
  }

  /** Closes from the client side. */
  close(code = 1000): void {
    this.transport.drop(this.conn, code);
  }
}

/** Transport whose connections are MemoryClients. */
export class MemoryTransport implements Transport {
  private handlers: TransportHandlers | null = null;
  private readonly clients = new Map<ConnId, MemoryClient>();
  private nextId = 1;

  listen(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  /** Opens a new client connection. */
  connect(): MemoryClient {
    if (this.handlers === null) throw new Error("transport not listening");
    const c = new MemoryClient(this, this.nextId++);
    this.clients.set(c.conn, c);
    this.handlers.open(c.conn);
    return c;
  }

  /** Client-to-server frame. */
  deliver(conn: ConnId, data: Uint8Array): void {
    if (this.clients.has(conn)) this.handlers?.message(conn, data);
  }

  /** Client-side close. */
  drop(conn: ConnId, code: number): void {
    const c = this.clients.get(conn);
    if (c === undefined) return;
    this.clients.delete(conn);
    c.closed ??= { code, reason: "" };
    this.handlers?.close(conn, code);
  }

  send(conn: ConnId, data: Uint8Array, owned: boolean): boolean {
    const c = this.clients.get(conn);
    if (c === undefined) return false;
    c.received.push(owned ? data : data.slice());
    return true;
  }

  buffered(conn: ConnId): number {
    return this.clients.get(conn)?.backlog ?? 0;
  }

  close(conn: ConnId, code: number, reason: string): void {
    const c = this.clients.get(conn);
    if (c === undefined) return;
    c.closed = { code, reason };
    this.drop(conn, code);
  }

  async shutdown(code: number, reason: string): Promise<void> {
    for (const conn of [...this.clients.keys()]) this.close(conn, code, reason);
  }
}
