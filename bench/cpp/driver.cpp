// Side-by-side reference for `npm run bench -- --cpp BINARY` (bench/mesh.bench.ts): times
// cgerikj's binary greedy meshers (github.com/cgerikj/binary-greedy-meshing, MIT) on the 64
// world64 chunks the bench writes, and prints one JSON line per mesher (ms per pass over all 64):
// v2 given its solid masks (cpp_v2_premasked), v2 building them from the voxel bytes with a
// scalar loop (cpp_v2_with_mask_build) and, when built for an AVX2 machine, with AVX2
// (cpp_v2_with_avx2_mask_build: the same input and output as bench/mesh.bench.ts's meshers,
// so the fair reference), and v1 with and without AO.
// The meshers are not part of this repository. To build the binary:
//   - mesher_v2.h: that repository's src/mesher.h at 42caaae (v2), with CS = 32 (34^3 padded
//     chunks) and P_MASK's top bit moved from 63 to CS_P - 1;
//   - mesher_v1.h: src/mesher.h at 011e070 (v1, AO-aware) in `namespace v1`, CS = 32,
//     glm::ivec2 replaced by a 2-int struct, the OpenGL/timer includes dropped, and the
//     leaked axis_cols vector freed after its copy;
//   - g++ -O3 -march=native -o driver driver.cpp
// Usage: driver CHUNKS_FILE [PASSES]; each line also lists every pass's ms in run order
// (samples_ms), which the bench pools over its rounds. Chunks: 64 x 34^3 bytes, x fastest, then z, then y (the
// bench's paddedIndex layout), converted once to the meshers' ZXY layout outside the timing.
#include "mesher_v2.h"
#include "mesher_v1.h"
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <string>
static const int P = 34, N = 64, PV = P * P * P;
static double now() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
static void buildOpaque(const uint8_t* v, uint64_t* m) {
  memset(m, 0, CS_P2 * sizeof(uint64_t));
  for (int y = 0; y < P; y++) for (int x = 0; x < P; x++) {
    uint64_t bits = 0; const uint8_t* row = v + x * P + y * P * P;
    for (int z = 0; z < P; z++) bits |= (uint64_t)(row[z] != 0) << z;
    m[y * P + x] = bits;
  }
}
#ifdef __AVX2__
#include <immintrin.h>
// The same masks 32 bytes per compare (AVX2), as a caller that builds them from the voxel bytes
// in production would write them: the fair from-bytes reference (buildOpaque above is scalar).
static void buildOpaqueAvx2(const uint8_t* v, uint64_t* m) {
  const __m256i zero = _mm256_setzero_si256();
  for (int r = 0; r < P * P; r++) {
    const uint8_t* row = v + r * P;
    uint32_t air = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i*)row), zero));
    m[r] = (uint64_t)(uint32_t)~air | (uint64_t)(row[32] != 0) << 32 | (uint64_t)(row[33] != 0) << 33;
  }
}
#endif
int main(int argc, char** argv) {
  int passes = argc > 2 ? atoi(argv[2]) : 300;
  std::ifstream f(argv[1], std::ios::binary);
  std::vector<uint8_t> raw(N * PV);
  f.read((char*)raw.data(), raw.size());
  std::vector<std::vector<uint8_t>> zxy(N, std::vector<uint8_t>(PV));
  for (int c = 0; c < N; c++) for (int y = 0; y < P; y++) for (int z = 0; z < P; z++) for (int x = 0; x < P; x++)
    zxy[c][z + x * P + y * P * P] = raw[c * PV + x + z * P + y * P * P];
  std::vector<std::vector<uint64_t>> masks(N, std::vector<uint64_t>(CS_P2));
  for (int c = 0; c < N; c++) buildOpaque(zxy[c].data(), masks[c].data());
  MeshData md;
  std::vector<uint64_t> scratchMask(CS_P2);
  md.faceMasks = new uint64_t[CS_2 * 6]; md.forwardMerged = new uint8_t[CS_2](); md.rightMerged = new uint8_t[CS]();
  md.vertices = new std::vector<uint64_t>(1 << 16); md.maxVertices = 1 << 16;
  std::vector<uint32_t> v1verts(6 * 6 * 32 * 32 * 32);
  auto bench = [&](const char* name, auto fn) {
    long quads = 0; for (int c = 0; c < N; c++) quads += fn(c);
    for (int w = 0; w < 30; w++) for (int c = 0; c < N; c++) fn(c);
    std::vector<double> t(passes);
    for (int i = 0; i < passes; i++) { double t0 = now(); for (int c = 0; c < N; c++) fn(c); t[i] = now() - t0; }
    std::string samples;
    for (int i = 0; i < passes; i++) { char ms[32]; snprintf(ms, sizeof ms, "%s%.4f", i ? "," : "", t[i]); samples += ms; }
    std::sort(t.begin(), t.end());
    printf("{\"impl\":\"%s\",\"p50_ms_per_pass\":%.4f,\"p95_ms_per_pass\":%.4f,\"min_ms\":%.4f,\"quads\":%ld,\"chunks\":%d,\"passes\":%d,\"samples_ms\":[%s]}\n", name, t[passes / 2], t[passes * 95 / 100], t[0], quads, N, passes, samples.c_str());
  };
  bench("cpp_v2_premasked", [&](int c) { md.opaqueMask = masks[c].data(); mesh(zxy[c].data(), md); return md.vertexCount - 1; });
  bench("cpp_v2_with_mask_build", [&](int c) { buildOpaque(zxy[c].data(), scratchMask.data()); md.opaqueMask = scratchMask.data(); mesh(zxy[c].data(), md); return md.vertexCount - 1; });
#ifdef __AVX2__
  bench("cpp_v2_with_avx2_mask_build", [&](int c) { buildOpaqueAvx2(zxy[c].data(), scratchMask.data()); md.opaqueMask = scratchMask.data(); mesh(zxy[c].data(), md); return md.vertexCount - 1; });
  for (int c = 0; c < N; c++) {
    buildOpaqueAvx2(zxy[c].data(), scratchMask.data());
    if (!std::equal(scratchMask.begin(), scratchMask.end(), masks[c].begin())) { fprintf(stderr, "AVX2 masks differ in chunk %d\n", c); return 1; }
  }
#endif
  bench("cpp_v1_ao", [&](int c) { int len; v1::mesh(zxy[c], v1verts, len, true); return (len - 1) / 6; });
  bench("cpp_v1_no_ao", [&](int c) { int len; v1::mesh(zxy[c], v1verts, len, false); return (len - 1) / 6; });
}
