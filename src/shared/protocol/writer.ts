// A growable little-endian byte writer over one reusable ArrayBuffer. Encoders write field by
// field straight into it; nothing is allocated per field, and the buffer only grows (doubling)
// when a message is bigger than any before it.

/** Reusable little-endian binary writer; `reset()` between messages, `view()` to send. */
export class ByteWriter {
  private bytes: Uint8Array<ArrayBuffer>;
  private dv: DataView<ArrayBuffer>;
  /** Bytes written since the last reset. */
  length = 0;

  constructor(initialCapacity = 1024) {
    this.bytes = new Uint8Array(Math.max(16, initialCapacity));
    this.dv = new DataView(this.bytes.buffer);
  }

  /** Starts a new message, keeping the buffer. */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** Makes room for `n` more bytes (amortised O(1): doubles the buffer when full). */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.dv = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.length++] = v;
  }

  i8(v: number): void {
    this.ensure(1);
    this.dv.setInt8(this.length, v);
    this.length += 1;
  }

  u16(v: number): void {
    this.ensure(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }

  i16(v: number): void {
    this.ensure(2);
    this.dv.setInt16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  f32(v: number): void {
    this.ensure(4);
    this.dv.setFloat32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** Unsigned LEB128 varint of a uint32 (1..5 bytes). */
  varU(v: number): void {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.bytes[this.length++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.bytes[this.length++] = x;
  }

  /** Unsigned LEB128 varint of a non-negative integer up to 2^53 - 1 (1..8 bytes): log sequence numbers. */
  varU53(v: number): void {
    this.ensure(8);
    let x = Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(v)));
    while (x >= 0x80) {
      this.bytes[this.length++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.bytes[this.length++] = x;
  }

  /** Zigzag varint of an int32: small magnitudes of either sign take one byte. */
  varI(v: number): void {
    this.varU(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Raw bytes. */
  bytesRaw(src: Uint8Array): void {
    this.ensure(src.length);
    this.bytes.set(src, this.length);
    this.length += src.length;
  }

  /** Appends everything another writer holds (used to prefix a section with its count). */
  append(other: ByteWriter): void {
    this.bytesRaw(other.view());
  }

  /** A short ASCII string: u8 length then the bytes (callers bound the length). */
  ascii(s: string): void {
    const n = Math.min(255, s.length);
    this.ensure(1 + n);
    this.bytes[this.length++] = n;
    for (let i = 0; i < n; i++) this.bytes[this.length++] = s.charCodeAt(i) & 0x7f;
  }

  /** Patches a byte written earlier (e.g. a flags byte decided after its section). */
  patchU8(offset: number, v: number): void {
    this.bytes[offset] = v;
  }

  /** Reads back a u16 written earlier. */
  u16At(offset: number): number {
    return this.dv.getUint16(offset, true);
  }

  /** Patches a u16 written earlier (e.g. a count known only at the end). */
  patchU16(offset: number, v: number): void {
    this.dv.setUint16(offset, v, true);
  }

  /** The written bytes, as a view into the reusable buffer (valid until the next write). */
  view(): Uint8Array<ArrayBuffer> {
    return this.bytes.subarray(0, this.length);
  }

  /** A copy of the written bytes that the caller owns (for sockets that queue the data). */
  copy(): Uint8Array<ArrayBuffer> {
    return this.bytes.slice(0, this.length);
  }
}
