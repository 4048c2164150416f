// The game protocol: message catalogue, binary codec, voxel edit sets and the entity mirror.
export * from "./messages.ts";
export * from "./reader.ts";
export * from "./writer.ts";
export * from "./client-codec.ts";
export * from "./server-codec.ts";
export * from "./voxelset.ts";
export * from "./mirror.ts";
