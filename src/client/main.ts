// Client entry: composes the world, renderer, mesher pool, player, input and UI, then runs
// the frame loop. Each piece lives in its own module; this file only wires them together.
// By default the game is networked (the server at /ws on this origin decides); `?offline=1`
// plays single-player with the world generated and carved in this tab.
import type { DirtyChunks } from "../shared/voxel/carve.ts";
import { worldChecksum } from "../shared/voxel/checksum.ts";
import type { World } from "../shared/voxel/world.ts";
import { DEFAULT_WORLD_GEN, SPAWN_YAW } from "../shared/voxel/worldgen.ts";
import type { WorldGenConfig } from "../shared/voxel/worldgen.ts";
import { SoundEngine, unlockOnGesture } from "./audio/sound.ts";
import type { AudioContextLike } from "./audio/sound.ts";
import { applySettings, viewDistanceVoxels } from "./game/apply-settings.ts";
import type { WorldAuthority } from "./game/authority.ts";
import { ChunkStreamer } from "./game/chunk-streamer.ts";
import { Feedback } from "./game/feedback.ts";
import type { FeedbackFrame } from "./game/feedback.ts";
import type { TrackSample } from "./game/interpolation.ts";
import { LocalAuthority } from "./game/local-authority.ts";
import { DEFAULT_CLIENT_FLAGS, loadClientFlags } from "./flags/index.ts";
import { startLoop } from "./game/loop.ts";
import { OnlineSession } from "./game/online-session.ts";
import { parseParams, viewOverride } from "./game/params.ts";
import { PlayerController } from "./game/player.ts";
import type { PlayerOptions } from "./game/player.ts";
import { SETTINGS_STORAGE_KEY, SettingsStore } from "./game/settings.ts";
import type { GameStats } from "./game/stats.ts";
import { installTestHook } from "./game/test-hook.ts";
import { loadWorld } from "./game/world-loader.ts";
import { Keyboard } from "./input/keyboard.ts";
import { MouseLook } from "./input/mouse-look.ts";
import { Connection, NetStatus } from "./net/connection.ts";
import { netStatusText } from "./net/status-text.ts";
import { gameSocketUrl, webSocketTransport } from "./net/transport.ts";
import { GpuUnavailableError } from "./render/device.ts";
import { viewDirection } from "./render/mat4.ts";
import { Renderer } from "./render/renderer.ts";
import { installClientTelemetry, reportError, safeLocalStorage } from "./telemetry/index.ts";
import type { RendererOptions } from "./render/renderer.ts";
import { MessagePanel } from "./ui/message.ts";
import { PauseState } from "./ui/pause.ts";
import { gameState, GameState, setGameState } from "./ui/state.ts";
import { MeshJobQueue } from "./workers/job-queue.ts";
import { MesherPool } from "./workers/pool.ts";
import { createWorkerFailures } from "./workers/supervise.ts";
import type { WorkerFailureKind } from "./workers/supervise.ts";

/** Chunks (horizontal radius) around the spawn that must be drawn before the state becomes "playing". */
const READY_RADIUS = 2;

/** Where the world came from, and the pieces that differ between online and offline play. */
interface Session {
  readonly world: World;
  readonly renderer: Renderer;
  readonly spawn: readonly [number, number, number];
  readonly spawnYaw: number;
  /** Null offline. */
  readonly online: OnlineSession | null;
  readonly player: PlayerOptions;
}

/** Failures of the mesher and worldgen workers, counted together (GameStats.workers, overlay, breadcrumbs). */
const workerFailures = createWorkerFailures();

/** A failed worker is counted, replaced and its jobs requeued; with crash consent it is also reported. */
function reportWorkerFailure(worker: string): (kind: WorkerFailureKind, detail: string) => void {
  return (kind, detail) => reportError(new Error(`${worker} worker ${kind === "crash" ? "crashed" : "hung"}: ${detail}`));
}

/** Generates a world in a supervised worker, counting failures with the mesher's. */
function loadSupervisedWorld(config: WorldGenConfig): ReturnType<typeof loadWorld> {
  return loadWorld(config, { failures: workerFailures, onWorkerFailure: reportWorkerFailure("worldgen") });
}

/** Offline: generate the world for the URL's seed while the GPU pipelines compile. */
async function startOffline(canvas: HTMLCanvasElement, seed: number, rendererOptions: RendererOptions, panel: MessagePanel): Promise<Session> {
  panel.show("Loading", "Generating the world…");
  const config: WorldGenConfig = { ...DEFAULT_WORLD_GEN, seed };
  const [loaded, renderer] = await Promise.all([loadSupervisedWorld(config), Renderer.create(canvas, config, rendererOptions)]);
  return { world: loaded.world, renderer, spawn: loaded.spawn, spawnYaw: SPAWN_YAW, online: null, player: {} };
}

/**
 * Online: connect, learn the world's seed and size from the welcome, then generate it (worker)
 * and replay the server's edits while the GPU pipelines compile.
 */
async function startOnline(connection: Connection, canvas: HTMLCanvasElement, rendererOptions: RendererOptions, panel: MessagePanel, onStatus: (s: NetStatus) => void, resync: ResyncTarget): Promise<Session> {
  const online = new OnlineSession(connection, (config) => loadSupervisedWorld(config).then((l) => l.world), {
    status: onStatus,
    resync: (dirty) => resync.markDirty?.(dirty),
    incompatible: () => {
      // The server now runs a world of another size: this page's renderer cannot follow it.
      panel.show("The game world changed", "Reloading…");
      location.reload();
    },
    failed: (err) => {
      connection.close();
      fail(panel, err);
    },
  });
  online.start();
  const welcome = await online.welcomed;
  const [world, renderer] = await Promise.all([online.sync.ready, Renderer.create(canvas, welcome, rendererOptions)]);
  const s = online.self;
  return {
    world,
    renderer,
    spawn: [s.x, s.y, s.z],
    spawnYaw: welcome.spawnYaw,
    online,
    // Steps of exactly the server's input dt, as float32 like the wire, so prediction replays match.
    player: { stepDt: Math.fround(1 / welcome.tickHz), float32Inputs: true, onStep: online.sendStep, respawnOnFall: false },
  };
}

/** Late binding: world re-syncs can only re-mesh once the chunk streamer exists. */
interface ResyncTarget {
  markDirty?: (dirty: DirtyChunks) => void;
}

/** The parts client telemetry reads, filled in as startup creates them. */
const telemetryParts: { renderer?: Renderer; pool?: MesherPool; device?: GPUDevice } = {};

async function main(panel: MessagePanel): Promise<void> {
  const params = parseParams(location.search);
  const canvas = document.getElementById("game") as HTMLCanvasElement;
  setGameState(GameState.Loading);
  // The player's settings, with the panel's "Game" section; `?view=` overrides the stored view
  // distance for this page until the player picks one.
  const storage = safeLocalStorage(window);
  const settings = new SettingsStore(storage);
  window.addEventListener("storage", (e) => {
    if (e.key === SETTINGS_STORAGE_KEY) settings.syncFrom(e.newValue);
  });
  // Runtime flags (evaluated in the page; defaults offline or when the server has none). The
  // view-distance flag is the default of a player who has saved no settings of their own; an
  // explicit ?view= wins over both.
  const flags = params.offline ? DEFAULT_CLIENT_FLAGS : await loadClientFlags({ fetch: (u, i) => fetch(u, i), storage });
  const urlView = viewOverride(location.search);
  if (urlView !== null) settings.overrideForSession("viewDistance", urlView);
  else if (flags.viewChunks !== undefined && !settings.hasStored()) settings.overrideForSession("viewDistance", flags.viewChunks);
  const pause = new PauseState();
  const viewChunks = settings.get().viewDistance;
  const rendererOptions: RendererOptions = {
    viewDistance: viewDistanceVoxels(viewChunks),
    fovY: (settings.get().fov * Math.PI) / 180,
    onFatal: (err) => fail(panel, err),
  };

  const connection = params.offline ? null : new Connection({ url: gameSocketUrl(location), transport: webSocketTransport });
  // Client telemetry goes in first, with its sources bound as the parts come up, so GPU errors
  // while the renderer builds its pipelines and startup failures are seen too. The dev overlay
  // (F3) works at once; nothing leaves the page until the player opts in (telemetry/index.ts).
  installClientTelemetry({
    renderer: () => telemetryParts.renderer?.stats,
    meshPool: () => telemetryParts.pool?.stats,
    workers: () => workerFailures,
    device: () => telemetryParts.device,
    net: () => connection?.stats,
    uiRoot: document.body,
    settings: { game: settings, pause },
  }, { experiment: flags.experiment });
  // Closing on the way out lets the server end the session at once instead of timing it out.
  if (connection !== null) addEventListener("pagehide", () => connection.close());
  // Connection messages: before the game starts they replace the loading text while the
  // connection is not up; afterwards any state but "playing" covers the view until it is.
  let started = false;
  const onStatus = (status: NetStatus): void => {
    if (connection === null || gameState() === GameState.Error) return;
    const text = netStatusText(status, connection.stats.joins > 0, connection.attempt, connection.retryAt - performance.now());
    if (text === null) {
      if (started) panel.hide();
      else panel.show("Loading", "Preparing the world…");
    } else if (text.error) {
      setGameState(GameState.Error);
      panel.showError(text.title, text.body);
      connection.close();
    } else {
      panel.show(text.title, text.body);
    }
  };
  const resync: ResyncTarget = {};
  let session: Session;
  try {
    session = connection === null
      ? await startOffline(canvas, params.seed, rendererOptions, panel)
      : await startOnline(connection, canvas, rendererOptions, panel, onStatus, resync);
  } catch (err) {
    // A page that cannot play (no WebGPU, no world) must not keep a player connected.
    connection?.close();
    throw err;
  }
  const { world, renderer, spawn, online } = session;
  if (gameState() === GameState.Error) return;

  const queue = new MeshJobQueue(world.size);
  const pool = new MesherPool(world, queue, (id, quads, count, faces) => renderer.setChunkMesh(id, quads, count, faces), {
    size: flags.mesherMode === "single" ? 1 : undefined,
    failures: workerFailures,
    onWorkerFailure: reportWorkerFailure("mesher"),
  });
  const streamer = new ChunkStreamer(world, queue, pool, renderer, viewChunks);
  resync.markDirty = (dirty) => streamer.markDirty(dirty);
  const player = new PlayerController(world, spawn, session.spawnYaw, session.player);
  online?.attachPlayer(player);
  const authority: WorldAuthority = online?.authority ?? new LocalAuthority(world);
  const stats: GameStats = {
    render: renderer.stats,
    mesh: pool.stats,
    workers: workerFailures,
    world: { shotsFired: 0, carves: 0, voxelsCarved: 0, projectilesInFlight: 0 },
    loop: { cpuMs: 0, dtMs: 0 },
    net: online?.connection.stats ?? null,
  };
  // Sound starts muted: the audio context is created on the first click or key press.
  const sound = new SoundEngine(() => (typeof AudioContext === "function" ? (new AudioContext() as unknown as AudioContextLike) : null));
  unlockOnGesture(sound);
  const feedback = new Feedback({
    parent: document.body,
    sound,
    pause,
    requestScores: online === null ? null : () => online.connection.sendScores(),
    now: () => performance.now(),
  });
  if (online !== null) {
    online.gameEvents = feedback;
    if (online.welcome !== null) feedback.welcome(online.welcome);
    feedback.self(online.self.health, online.self.flags);
  }
  authority.onCarve((e) => {
    stats.world.carves++;
    stats.world.voxelsCarved += e.voxels;
    streamer.markDirty(e.dirty);
    feedback.carve(e);
  });

  const eye = [0, 0, 0];
  const dir = [0, 0, 0];
  let lastShot = -Infinity;
  const fire = (): number => {
    const now = performance.now() / 1000;
    if (gameState() !== GameState.Playing || (online !== null && !online.playable) || feedback.model.downed || now - lastShot < authority.cooldown) return -1;
    player.eye(eye);
    viewDirection(dir, player.yaw, player.pitch);
    const id = authority.fire(eye, dir);
    if (id < 0) return -1;
    lastShot = now;
    stats.world.shotsFired++;
    feedback.shot();
    return id;
  };
  const keyboard = new Keyboard();
  // Pause menu: losing the pointer lock (Escape, another window) while playing opens settings;
  // a click on the game closes them (and captures the mouse again).
  const mouse = new MouseLook(canvas, fire, (locked) => {
    if (!locked && gameState() === GameState.Playing) pause.set(true);
  });
  canvas.addEventListener("click", () => pause.set(false));
  applySettings(settings, { mouse, renderer, streamer, sound });

  const tracked: TrackSample = { x: 0, y: 0, z: 0, yaw: 0 };
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
        checksum: () => worldChecksum(world),
        net: () => online?.report() ?? null,
        hud: () => {
          const m = feedback.model;
          return {
            health: m.health, downed: m.downed, downedBy: m.downedBy, marker: m.marker, callsign: m.callsign,
            feed: m.feed.map((e) => `${e.shooter} > ${e.target}`), scoreboardOpen: feedback.scoreboardOpen, paused: pause.paused,
            effects: feedback.effects.count, sound: { unlocked: sound.stats.unlocked, played: { ...sound.stats.played } },
          };
        },
        entity: (id) => (online?.entityPosition(id, tracked) ? [tracked.x, tracked.y, tracked.z] : null),
        dropConnection: (ms) => online?.connection.simulateDrop(ms),
        terminateMeshWorker: (index) => pool.terminateWorkerForTest(index),
      })
      : null;

  telemetryParts.renderer = renderer;
  telemetryParts.pool = pool;
  renderer.onDevice((device) => {
    telemetryParts.device = device;
  });

  // Never wait for chunks beyond the view distance: they are not meshed at all.
  const readyRadius = Math.min(READY_RADIUS, viewChunks);
  let readyPending = false;
  panel.show("Loading", "Meshing terrain…");
  let lastNow = performance.now();
  // What feedback reads of the player each frame (one object, refilled).
  const view: FeedbackFrame = { playing: false, pointerLocked: false, x: 0, y: 0, z: 0, yaw: 0, onGround: false };
  startLoop((dt, now) => {
    if (gameState() === GameState.Error) return;
    const t0 = performance.now();
    // The real interval, unlike dt, which the loop clamps for the simulation's sake.
    stats.loop.dtMs = now - lastNow;
    lastNow = now;
    const playing = gameState() === GameState.Playing;
    if (playing) player.look(mouse.takeYaw(), mouse.takePitch());
    // Online the player only moves while joined to a world that matches the server's:
    // inputs made while the connection is down would be lost and then corrected away. Nor
    // does it move while paused or downed.
    if (playing && (online === null || online.playable) && !pause.paused && !feedback.model.downed) {
      player.update(dt, keyboard.axis("KeyS", "KeyW", "ArrowDown", "ArrowUp"), keyboard.axis("KeyA", "KeyD", "ArrowLeft", "ArrowRight"), keyboard.isDown("Space"));
    } else {
      player.idle(dt);
    }
    if (online !== null) online.update(dt, now);
    else authority.update(dt);
    player.eye(eye);
    streamer.update(eye[0], eye[1], eye[2]);

    const cam = renderer.camera;
    cam.x = eye[0];
    cam.y = eye[1];
    cam.z = eye[2];
    cam.yaw = player.yaw;
    cam.pitch = player.pitch;
    renderer.boxes.clear();
    online?.drawEntities(renderer.boxes, eye);
    const shots = authority.projectiles;
    const ps = player.state;
    view.playing = playing;
    view.pointerLocked = mouse.locked;
    view.x = ps.x;
    view.y = ps.y;
    view.z = ps.z;
    view.yaw = player.yaw;
    view.onGround = ps.onGround;
    feedback.frame(dt, view, world, shots, renderer.boxes);
    stats.world.projectilesInFlight = shots.count;
    renderer.frame();

    // "playing" once the chunks around the spawn are meshed, uploaded, and this frame, which
    // drew them, has finished on the GPU.
    if (!playing && !readyPending && streamer.readyAround(spawn[0], spawn[2], readyRadius)) {
      readyPending = true;
      void renderer.whenSubmittedWorkDone().then(() => {
        if (gameState() !== GameState.Loading) return;
        started = true;
        setGameState(GameState.Playing);
        // A drop during loading leaves its message up; otherwise the panel goes.
        if (online === null || online.connection.status === NetStatus.Playing) panel.hide();
        else onStatus(online.connection.status);
      });
    }
    const netIdle = online === null || (online.authority.pendingCount === 0 && !online.sync.busy);
    const idle = pool.stats.queueLength === 0 && pool.stats.inFlight === 0 && renderer.stats.uploadsPending === 0 && shots.count === 0
      && feedback.effects.count === 0 && netIdle;
    afterFrame?.(idle);
    stats.loop.cpuMs = performance.now() - t0;
  }, () => settings.get().fpsCap);
}

function fail(panel: MessagePanel, err: unknown): void {
  setGameState(GameState.Error);
  if (err instanceof GpuUnavailableError) {
    panel.showError("WebGPU is not available", err.message);
  } else {
    console.error("the game could not start", err);
    // Sent only with crash consent (a no-op otherwise).
    reportError(err);
    panel.showError("The game could not start", err instanceof Error ? err.message : String(err));
  }
}

const panel = new MessagePanel();
main(panel).catch((err: unknown) => fail(panel, err));
