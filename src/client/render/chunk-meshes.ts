import { QUAD_WORDS } from "../../shared/mesh/quad.ts";

/**
 * CPU side of the chunk meshes: the latest quads of each chunk (kept so a lost device can
 * be refilled without re-meshing), where each lives on the GPU, which chunks wait for
 * upload and which are drawable. Indexed by World.chunkId; no GPU calls here.
 */
export class ChunkMeshes {
  /** Each chunk's mesh words: quadCount quads, then any spilled front rings (MeshMode.ShaderAo). */
  readonly quads: (Uint32Array | null)[];
  readonly quadCount: Uint32Array;
  /** Words of each chunk's mesh (quads and spilled rings), all uploaded together. */
  readonly wordCount: Uint32Array;
  /** Quads per face direction, 6 per chunk (the mesher groups quads by face). */
  readonly faceCounts: Uint32Array;
  /** GPU address (QuadPages) of the chunk's quads, or -1. */
  readonly address: Float64Array;
  /** Quad-sized units reserved at `address` (>= the mesh's words / 2, so a slightly bigger re-mesh fits in place). */
  readonly capacity: Uint32Array;
  /** Chunks whose current mesh is on the GPU and non-empty, in no particular order. */
  readonly resident: number[] = [];
  private readonly residentSlot: Int32Array;
  /** Chunks whose mesh changed since it was last uploaded, oldest first, from uploadHead on. */
  private readonly uploadQueue: number[] = [];
  private uploadHead = 0;
  private readonly queued: Uint8Array;
  /** True once the chunk's latest mesh is uploaded (empty meshes count as uploaded). */
  private readonly uploaded: Uint8Array;

  constructor(readonly chunkCount: number) {
    this.quads = new Array<Uint32Array | null>(chunkCount).fill(null);
    this.quadCount = new Uint32Array(chunkCount);
    this.wordCount = new Uint32Array(chunkCount);
    this.faceCounts = new Uint32Array(chunkCount * 6);
    this.address = new Float64Array(chunkCount).fill(-1);
    this.capacity = new Uint32Array(chunkCount);
    this.residentSlot = new Int32Array(chunkCount).fill(-1);
    this.queued = new Uint8Array(chunkCount);
    this.uploaded = new Uint8Array(chunkCount);
  }

  /**
   * Stores a new mesh for the chunk and queues its upload. `quads` holds exactly the mesh's
   * words (greedy.ts meshWords): `quadCount` quads, then any spilled rings. Throws a
   * RangeError when it is shorter than the quads.
   */
  set(chunkId: number, quads: Uint32Array, quadCount: number, faceCounts: ArrayLike<number>): void {
    if (quads.length < quadCount * QUAD_WORDS) throw new RangeError(`chunk ${chunkId}: ${quads.length} words for ${quadCount} quads`);
    this.quads[chunkId] = quadCount > 0 ? quads : null;
    this.quadCount[chunkId] = quadCount;
    this.wordCount[chunkId] = quadCount > 0 ? quads.length : 0;
    for (let f = 0; f < 6; f++) this.faceCounts[chunkId * 6 + f] = faceCounts[f];
    this.uploaded[chunkId] = 0;
    if (!this.queued[chunkId]) {
      this.queued[chunkId] = 1;
      this.uploadQueue.push(chunkId);
    }
  }

  /** Chunks waiting for upload (an upper bound: removed chunks are skipped lazily). */
  get pendingUploads(): number {
    return this.uploadQueue.length - this.uploadHead;
  }

  /** Takes the next chunk to upload (FIFO), or -1. */
  nextUpload(): number {
    const q = this.uploadQueue;
    // Chunks removed while queued stay in the array with queued = 0; skip them.
    while (this.uploadHead < q.length) {
      const id = q[this.uploadHead++];
      if (this.uploadHead > 1024 && this.uploadHead * 2 > q.length) {
        // Never drained under steady load: drop the consumed prefix now and then.
        q.splice(0, this.uploadHead);
        this.uploadHead = 0;
      }
      if (this.queued[id]) {
        this.queued[id] = 0;
        return id;
      }
    }
    // Drained: rewind instead of shifting, so taking is O(1) and the array is reused.
    q.length = 0;
    this.uploadHead = 0;
    return -1;
  }

  /** Records that the chunk's current mesh is on the GPU (or that it is empty). */
  markUploaded(chunkId: number): void {
    this.uploaded[chunkId] = 1;
    const drawable = this.quadCount[chunkId] > 0 && this.address[chunkId] >= 0;
    const slot = this.residentSlot[chunkId];
    if (drawable && slot < 0) {
      this.residentSlot[chunkId] = this.resident.length;
      this.resident.push(chunkId);
    } else if (!drawable && slot >= 0) {
      this.dropResident(chunkId);
    }
  }

  /** True when the chunk's latest mesh has reached the GPU. */
  isUploaded(chunkId: number): boolean {
    return this.uploaded[chunkId] === 1;
  }

  /** Forgets the chunk's mesh (it left the view distance). Returns its GPU address to free, or -1. */
  remove(chunkId: number): number {
    const address = this.address[chunkId];
    this.quads[chunkId] = null;
    this.quadCount[chunkId] = 0;
    this.wordCount[chunkId] = 0;
    this.address[chunkId] = -1;
    this.capacity[chunkId] = 0;
    this.queued[chunkId] = 0;
    this.uploaded[chunkId] = 0;
    if (this.residentSlot[chunkId] >= 0) this.dropResident(chunkId);
    return address;
  }

  /** After a device loss: nothing is on the GPU any more; queue every stored mesh again. */
  requeueAll(): void {
    this.address.fill(-1);
    this.capacity.fill(0);
    for (let i = this.resident.length - 1; i >= 0; i--) this.dropResident(this.resident[i]);
    for (let id = 0; id < this.chunkCount; id++) {
      if (this.quads[id] && !this.queued[id]) {
        this.queued[id] = 1;
        this.uploaded[id] = 0;
        this.uploadQueue.push(id);
      }
    }
  }

  private dropResident(chunkId: number): void {
    const slot = this.residentSlot[chunkId];
    const last = this.resident.pop() as number;
    if (slot < this.resident.length) {
      this.resident[slot] = last;
      this.residentSlot[last] = slot;
    }
    this.residentSlot[chunkId] = -1;
  }
}
