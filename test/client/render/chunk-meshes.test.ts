// CPU-side chunk mesh registry: upload queue order, resident set, device-loss requeue.
import { describe, expect, it } from "vitest";
import { ChunkMeshes } from "../../../src/client/render/chunk-meshes.ts";

const faces = [1, 1, 1, 1, 0, 0];

function drain(m: ChunkMeshes): number[] {
  const out: number[] = [];
  for (let id = m.nextUpload(); id >= 0; id = m.nextUpload()) out.push(id);
  return out;
}

describe("ChunkMeshes", () => {
  it("queues each changed chunk once, in arrival order", () => {
    const m = new ChunkMeshes(8);
    m.set(3, new Uint32Array(8), 4, faces);
    m.set(1, new Uint32Array(8), 4, faces);
    m.set(3, new Uint32Array(8), 4, faces); // newer mesh for a queued chunk: still one upload
    expect(m.pendingUploads).toBe(2);
    expect(drain(m)).toEqual([3, 1]);
    expect(m.nextUpload()).toBe(-1);
  });

  it("tracks drawable chunks: uploaded and non-empty", () => {
    const m = new ChunkMeshes(8);
    m.set(2, new Uint32Array(8), 4, faces);
    m.set(5, new Uint32Array(0), 0, [0, 0, 0, 0, 0, 0]);
    for (const id of drain(m)) {
      if (m.quadCount[id] > 0) m.address[id] = 0;
      m.markUploaded(id);
    }
    expect(m.resident).toEqual([2]);
    expect(m.isUploaded(2)).toBe(true);
    expect(m.isUploaded(5)).toBe(true); // an empty mesh counts as uploaded
    m.set(2, new Uint32Array(0), 0, [0, 0, 0, 0, 0, 0]); // carved empty
    expect(m.isUploaded(2)).toBe(false);
    drain(m);
    m.address[2] = -1;
    m.markUploaded(2);
    expect(m.resident).toEqual([]);
  });

  it("remove drops a queued chunk and returns its GPU address", () => {
    const m = new ChunkMeshes(4);
    m.set(1, new Uint32Array(8), 4, faces);
    drain(m);
    m.address[1] = 128;
    m.markUploaded(1);
    m.set(1, new Uint32Array(8), 4, faces);
    expect(m.remove(1)).toBe(128);
    expect(drain(m)).toEqual([]);
    expect(m.resident).toEqual([]);
  });

  it("requeueAll after a device loss re-uploads every stored mesh", () => {
    const m = new ChunkMeshes(6);
    for (const id of [0, 4]) m.set(id, new Uint32Array(8), 4, faces);
    m.set(2, new Uint32Array(0), 0, [0, 0, 0, 0, 0, 0]);
    for (const id of drain(m)) {
      if (m.quadCount[id] > 0) m.address[id] = id * 64;
      m.markUploaded(id);
    }
    m.requeueAll();
    expect(m.resident).toEqual([]);
    expect([...m.address]).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(drain(m).sort()).toEqual([0, 4]);
  });

  it("keeps a mesh's spilled rings with its quads and rejects an array shorter than the quads", () => {
    const m = new ChunkMeshes(4);
    m.set(1, new Uint32Array(8 + 3), 4, faces); // 4 quads, then 3 words of spilled rings
    expect(m.quadCount[1]).toBe(4);
    expect(m.wordCount[1]).toBe(11);
    m.set(2, new Uint32Array(0), 0, [0, 0, 0, 0, 0, 0]);
    expect(m.wordCount[2]).toBe(0);
    expect(() => m.set(3, new Uint32Array(7), 4, faces)).toThrow(RangeError);
    m.remove(1);
    expect(m.wordCount[1]).toBe(0);
  });
});
