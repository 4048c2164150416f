// Client entry: composes the world, renderer, mesher pool, player, input and UI, then runs
// the frame loop. Each piece lives in its own module; this file only wires them together.
import { CHUNK_SIZE } from "../shared/voxel/constants.ts";
import { DEFAULT_WORLD_GEN, SPAWN_YAW } from "../shared/voxel/worldgen.ts";
import type { WorldAuthority } from "./game/authority.ts";
import { ChunkStreamer } from "./game/chunk-streamer.ts";
import { LocalAuthority } from "./game/local-authority.ts";
import { startLoop } from "./game/loop.ts";
import { parseParams } from "./game/params.ts";
import { PlayerController } from "./game/player.ts";
import { PROJECTILE } from "./game/projectiles.ts";
import type { GameStats } from "./game/stats.ts";
import { installTestHook } from "./game/test-hook.ts";
import { loadWorld } from "./game/world-loader.ts";
import { Keyboard } from "./input/keyboard.ts";
import { MouseLook } from "./input/mouse-look.ts";
import { GpuUnavailableError } from "./render/device.ts";
import { viewDirection } from "./render/mat4.ts";
import { Renderer } from "./render/renderer.ts";
import { Hud } from "./ui/hud.ts";
import { MessagePanel } from "./ui/message.ts";
import { gameState, GameState, setGameState } from "./ui/state.ts";
import { MeshJobQueue } from "./workers/job-queue.ts";
import { MesherPool } from "./workers/pool.ts";

/** Chunks (horizontal radius) around the spawn that must be drawn before the state becomes "playing". */
const READY_RADIUS = 2;
const PROJECTILE_COLOR = [1.0, 0.45, 0.08] as const;

async function main(panel: MessagePanel): Promise<void> {
  const params = parseParams(location.search);
  const canvas = document.getElementById("game") as HTMLCanvasElement;
  setGameState(GameState.Loading);
  panel.show("Loading", "Generating the world…");

  const config = { ...DEFAULT_WORLD_GEN, seed: params.seed };
  const viewVoxels = (params.viewChunks - 0.5) * CHUNK_SIZE;
  // World generation (worker) and GPU setup (pipeline compilation) overlap.
  const [loaded, renderer] = await Promise.all([
    loadWorld(config),
    Renderer.create(canvas, config, {
      viewDistance: viewVoxels,
      onFatal: (err) => fail(panel, err),
    }),
  ]);
  const { world, spawn } = loaded;

  const queue = new MeshJobQueue(world.size);
  const pool = new MesherPool(world, queue, (id, quads, count, faces) => renderer.setChunkMesh(id, quads, count, faces));
  const streamer = new ChunkStreamer(world, queue, pool, renderer, params.viewChunks);
  const player = new PlayerController(world, spawn, SPAWN_YAW);
  const authority: WorldAuthority = new LocalAuthority(world);
  const stats: GameStats = {
    render: renderer.stats,
    mesh: pool.stats,
    world: { shotsFired: 0, carves: 0, voxelsCarved: 0, projectilesInFlight: 0 },
    loop: { cpuMs: 0, dtMs: 0 },
  };
  authority.onCarve((e) => {
    stats.world.carves++;
    stats.world.voxelsCarved += e.voxels;
    streamer.markDirty(e.dirty);
  });

  const eye = [0, 0, 0];
  const dir = [0, 0, 0];
  let lastShot = -Infinity;
  const fire = () => {
    const now = performance.now() / 1000;
    if (gameState() !== GameState.Playing || now - lastShot < PROJECTILE.cooldown) return;
    lastShot = now;
    player.eye(eye);
    viewDirection(dir, player.yaw, player.pitch);
    authority.fire(eye, dir);
    stats.world.shotsFired++;
  };
  const keyboard = new Keyboard();
  const mouse = new MouseLook(canvas, fire);
  const hud = new Hud();

  const afterFrame =
    params.autotest || import.meta.env.DEV
      ? installTestHook({
        stats,
        state: gameState,
        aim: (yaw, pitch) => player.setAim(yaw, pitch),
        fire,
        eye: () => {
          player.eye(eye);
          return [eye[0], eye[1], eye[2]];
        },
        loseDevice: () => renderer.simulateDeviceLoss(),
        gpuDone: () => renderer.whenSubmittedWorkDone(),
      })
      : null;

  // Never wait for chunks beyond the view distance: they are not meshed at all.
  const readyRadius = Math.min(READY_RADIUS, params.viewChunks);
  let readyPending = false;
  panel.show("Loading", "Meshing terrain…");
  let lastNow = performance.now();
  startLoop((dt, now) => {
    if (gameState() === GameState.Error) return;
    const t0 = performance.now();
    // The real interval, unlike dt, which the loop clamps for the simulation's sake.
    stats.loop.dtMs = now - lastNow;
    lastNow = now;
    const playing = gameState() === GameState.Playing;
    if (playing) {
      player.look(mouse.takeYaw(), mouse.takePitch());
      player.update(dt, keyboard.axis("KeyS", "KeyW", "ArrowDown", "ArrowUp"), keyboard.axis("KeyA", "KeyD", "ArrowLeft", "ArrowRight"), keyboard.isDown("Space"));
    }
    authority.update(dt);
    player.eye(eye);
    streamer.update(eye[0], eye[1], eye[2]);

    const cam = renderer.camera;
    cam.x = eye[0];
    cam.y = eye[1];
    cam.z = eye[2];
    cam.yaw = player.yaw;
    cam.pitch = player.pitch;
    const shots = authority.projectiles;
    const h = PROJECTILE.halfSize;
    renderer.boxes.clear();
    for (let i = 0; i < shots.count; i++) {
      const k = i * 3;
      renderer.boxes.push(shots.xyz[k], shots.xyz[k + 1], shots.xyz[k + 2], h, h, h, PROJECTILE_COLOR[0], PROJECTILE_COLOR[1], PROJECTILE_COLOR[2]);
    }
    stats.world.projectilesInFlight = shots.count;
    renderer.frame();
    hud.update(playing, mouse.locked);

    // "playing" once the chunks around the spawn are meshed, uploaded, and this frame, which
    // drew them, has finished on the GPU.
    if (!playing && !readyPending && streamer.readyAround(spawn[0], spawn[2], readyRadius)) {
      readyPending = true;
      void renderer.whenSubmittedWorkDone().then(() => {
        if (gameState() !== GameState.Loading) return;
        panel.hide();
        setGameState(GameState.Playing);
      });
    }
    const idle = pool.stats.queueLength === 0 && pool.stats.inFlight === 0 && renderer.stats.uploadsPending === 0 && shots.count === 0;
    afterFrame?.(idle);
    stats.loop.cpuMs = performance.now() - t0;
  });
}

function fail(panel: MessagePanel, err: unknown): void {
  setGameState(GameState.Error);
  if (err instanceof GpuUnavailableError) {
    panel.showError("WebGPU is not available", err.message);
  } else {
    console.error("the game could not start", err);
    panel.showError("The game could not start", err instanceof Error ? err.message : String(err));
  }
}

const panel = new MessagePanel();
main(panel).catch((err: unknown) => fail(panel, err));
