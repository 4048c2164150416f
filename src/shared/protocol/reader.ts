// A bounds-checked little-endian reader. It never throws and never reads past the frame: a
// failed read records a typed error, returns 0, and every later read fails too, so decoders
// can read a whole message and check `ok` once (plus at loop heads to stop early).

/** Why a frame was rejected. Closed set: the server maps each to a counted error class. */
export const DecodeErrorCode = {
  /** The frame ended before a field did. */
  Truncated: "truncated",
  /** The first byte names no message of this direction. */
  UnknownType: "unknown_type",
  /** A float field is NaN or infinite. */
  NonFinite: "non_finite",
  /** A length, count or enum value is outside its documented bound. */
  OutOfRange: "out_of_range",
  /** Bytes left over after the message. */
  Trailing: "trailing_bytes",
  /** An empty frame or one that is not binary. */
  Empty: "empty",
} as const;
export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode];

/** A typed decode rejection: a code for counting and a short text for logs. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  readonly detail: string;
}

/** Reusable reader over one frame at a time. */
export class ByteReader {
  private bytes: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.bytes.buffer);
  pos = 0;
  /** Null while every read so far succeeded. */
  error: DecodeError | null = null;

  /** Points the reader at a new frame (no copy). */
  reset(bytes: Uint8Array): this {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.error = null;
    return this;
  }

  get ok(): boolean {
    return this.error === null;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Records the first failure; later failures keep the first reason. */
  fail(code: DecodeErrorCode, detail: string): void {
    if (this.error === null) this.error = { code, detail };
    this.pos = this.bytes.length;
  }

  private take(n: number, what: string): number {
    if (this.error !== null) return -1;
    if (this.pos + n > this.bytes.length) {
      this.fail(DecodeErrorCode.Truncated, what);
      return -1;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(what = "u8"): number {
    const at = this.take(1, what);
    return at < 0 ? 0 : this.bytes[at];
  }

  i8(what = "i8"): number {
    const at = this.take(1, what);
    return at < 0 ? 0 : this.dv.getInt8(at);
  }

  u16(what = "u16"): number {
    const at = this.take(2, what);
    return at < 0 ? 0 : this.dv.getUint16(at, true);
  }

  i16(what = "i16"): number {
    const at = this.take(2, what);
    return at < 0 ? 0 : this.dv.getInt16(at, true);
  }

  u32(what = "u32"): number {
    const at = this.take(4, what);
    return at < 0 ? 0 : this.dv.getUint32(at, true);
  }

  /** A float32 that must be finite (NaN and +-Infinity are rejected). */
  f32(what = "f32"): number {
    const at = this.take(4, what);
    if (at < 0) return 0;
    const v = this.dv.getFloat32(at, true);
    if (!Number.isFinite(v)) {
      this.fail(DecodeErrorCode.NonFinite, what);
      return 0;
    }
    return v;
  }

  /** A float64 that must be finite. */
  f64(what = "f64"): number {
    const at = this.take(8, what);
    if (at < 0) return 0;
    const v = this.dv.getFloat64(at, true);
    if (!Number.isFinite(v)) {
      this.fail(DecodeErrorCode.NonFinite, what);
      return 0;
    }
    return v;
  }

  /** Unsigned LEB128 varint of at most 5 bytes whose value fits in uint32. */
  varU(what = "varint"): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const at = this.take(1, what);
      if (at < 0) return 0;
      const b = this.bytes[at];
      if (i === 4 && b > 0x0f) {
        this.fail(DecodeErrorCode.OutOfRange, `${what}: varint over 32 bits`);
        return 0;
      }
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
    this.fail(DecodeErrorCode.OutOfRange, `${what}: varint too long`);
    return 0;
  }

  /** Unsigned LEB128 varint of at most 8 bytes whose value fits in 53 bits (a safe integer). */
  varU53(what = "varint"): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const at = this.take(1, what);
      if (at < 0) return 0;
      const b = this.bytes[at];
      if (i === 7 && b > 0x0f) {
        this.fail(DecodeErrorCode.OutOfRange, `${what}: varint over 53 bits`);
        return 0;
      }
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    this.fail(DecodeErrorCode.OutOfRange, `${what}: varint too long`);
    return 0;
  }

  /** Zigzag varint of an int32. */
  varI(what = "varint"): number {
    const u = this.varU(what);
    return (u >>> 1) ^ -(u & 1);
  }

  /** A count that must not exceed `max` (checked before any allocation or loop). */
  count(max: number, what: string): number {
    const n = this.varU(what);
    if (n > max) {
      this.fail(DecodeErrorCode.OutOfRange, `${what}: ${n} > ${max}`);
      return 0;
    }
    return n;
  }

  /** `n` raw bytes as a view into the frame (no copy). */
  bytesView(n: number, what = "bytes"): Uint8Array {
    const at = this.take(n, what);
    return at < 0 ? new Uint8Array(0) : this.bytes.subarray(at, at + n);
  }

  /** A u8-length printable-ASCII string of at most `maxLen` characters. */
  ascii(maxLen: number, what = "string"): string {
    const n = this.u8(what);
    if (n > maxLen) {
      this.fail(DecodeErrorCode.OutOfRange, `${what}: length ${n} > ${maxLen}`);
      return "";
    }
    const at = this.take(n, what);
    if (at < 0) return "";
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = this.bytes[at + i];
      if (c < 0x20 || c > 0x7e) {
        this.fail(DecodeErrorCode.OutOfRange, `${what}: non-printable byte`);
        return "";
      }
      s += String.fromCharCode(c);
    }
    return s;
  }

  /** Fails unless the whole frame was consumed. */
  end(): void {
    if (this.error === null && this.pos !== this.bytes.length) {
      this.fail(DecodeErrorCode.Trailing, `${this.bytes.length - this.pos} bytes after message`);
    }
  }
}
