// Client entry: composes the world, renderer, mesher pool, player, input and UI, then runs
// the frame loop (game/frame.ts). Each piece lives in its own module; this file only wires
// them together. By default the game is networked (the server at /ws on this origin decides);
// `?offline=1` plays single-player with the world generated and carved in this tab.
import { worldChecksum } from "../shared/voxel/checksum.ts";
import type { World } from "../shared/voxel/world.ts";
import { SoundEngine, unlockOnGesture } from "./audio/sound.ts";
import type { AudioContextLike } from "./audio/sound.ts";
import { applySettings, viewDistanceVoxels } from "./game/apply-settings.ts";
import type { WorldAuthority } from "./game/authority.ts";
import { CarveLatency } from "./game/carve-latency.ts";
import { ChunkStreamer } from "./game/chunk-streamer.ts";
import { Feedback } from "./game/feedback.ts";
import { FrameLoop } from "./game/frame.ts";
import { LocalAuthority } from "./game/local-authority.ts";
import { DEFAULT_CLIENT_FLAGS, loadClientFlags } from "./flags/index.ts";
import type { ClientFlagValues } from "./flags/index.ts";
import type { StorageLike } from "./telemetry/consent.ts";
import { startLoop } from "./game/loop.ts";
import { parseAoMode, parseParams, viewOverride } from "./game/params.ts";
import { PlayerController } from "./game/player.ts";
import { SETTINGS_STORAGE_KEY, SettingsStore } from "./game/settings.ts";
import { reportWorkerFailure, startOffline, startOnline, workerFailures } from "./game/start.ts";
import type { Session } from "./game/start.ts";
import type { GameStats } from "./game/stats.ts";
import { hudReport, installTestHook } from "./game/test-hook.ts";
import { Trigger } from "./game/trigger.ts";
import { Keyboard } from "./input/keyboard.ts";
import { MouseLook } from "./input/mouse-look.ts";
import { Connection } from "./net/connection.ts";
import type { TrackSample } from "./net/interpolation.ts";
import type { OnlineSession } from "./net/online-session.ts";
import { gameSocketUrl, webSocketTransport } from "./net/transport.ts";
import { meshModeFor } from "./render/ao-mode.ts";
import { GpuUnavailableError } from "./render/device.ts";
import type { Renderer, RendererOptions } from "./render/renderer.ts";
import { installClientTelemetry, reportError, safeLocalStorage } from "./telemetry/index.ts";
import type { ClientTelemetry } from "./telemetry/index.ts";
import { ConnectionNotice } from "./ui/connection-notice.ts";
import { installDevOverlay } from "./ui/dev-overlay.ts";
import { MessagePanel } from "./ui/message.ts";
import { PauseState } from "./ui/pause.ts";
import { installSettingsPanel } from "./ui/settings-panel.ts";
import { gameState, GameState, setGameState } from "./ui/state.ts";
import { MeshJobQueue } from "./workers/job-queue.ts";
import { MesherPool } from "./workers/pool.ts";

/** Chunks (horizontal radius) around the spawn that must be drawn before the state becomes "playing". */
const READY_RADIUS = 2;

/** What the page set up before the session: settings, pause, telemetry and the connection notice. */
interface Page {
  readonly panel: MessagePanel;
  readonly canvas: HTMLCanvasElement;
  readonly settings: SettingsStore;
  readonly pause: PauseState;
  readonly telemetry: ClientTelemetry;
  /** Null offline. */
  readonly notice: ConnectionNotice | null;
  /** The runtime flags this page evaluated. */
  readonly flags: ClientFlagValues;
}

async function main(panel: MessagePanel): Promise<void> {
  const params = parseParams(location.search);
  const canvas = document.getElementById("game") as HTMLCanvasElement;
  setGameState(GameState.Loading);
  const storage = safeLocalStorage(window);
  // Runtime flags (evaluated in the page; defaults offline or when the server has none).
  const flags = params.offline ? DEFAULT_CLIENT_FLAGS : await loadClientFlags({ fetch: (u, i) => fetch(u, i), storage });
  const settings = pageSettings(storage, flags);
  const pause = new PauseState();
  const connection = params.offline ? null : new Connection({ url: gameSocketUrl(location), transport: webSocketTransport });
  // Client telemetry goes in first, so GPU errors while the renderer builds its pipelines and
  // startup failures are seen too; the renderer and the mesher pool join its sources once they
  // exist. Its UI (the dev overlay on F3, the settings panel) works at once; nothing leaves the
  // page until the player opts in (telemetry/senders.ts).
  const telemetry = installClientTelemetry({ workers: () => workerFailures, net: () => connection?.stats }, { experiment: flags.experiment });
  const overlay = installDevOverlay({ mount: document.body }, { source: telemetry.overlay });
  installSettingsPanel({ mount: document.body }, { game: settings, pause, consent: telemetry.consent, onToggleOverlay: () => overlay.toggle() });
  // Closing on the way out lets the server end the session at once instead of timing it out.
  if (connection !== null) addEventListener("pagehide", () => connection.close());
  const notice = connection === null ? null : new ConnectionNotice(panel, connection);
  const rendererOptions: RendererOptions = {
    viewDistance: viewDistanceVoxels(settings.get().viewDistance),
    fovY: (settings.get().fov * Math.PI) / 180,
    onFatal: (err) => fail(panel, err),
    ao: parseAoMode(location.search),
  };
  let session: Session;
  try {
    session = connection === null || notice === null
      ? await startOffline(canvas, params.seed, rendererOptions, panel)
      : await startOnline(connection, canvas, rendererOptions, panel, { status: notice.status, fatal: (err) => fail(panel, err) });
  } catch (err) {
    // A page that cannot play (no WebGPU, no world) must not keep a player connected.
    connection?.close();
    throw err;
  }
  if (gameState() === GameState.Error) return;
  play(session, { panel, canvas, settings, pause, telemetry, notice, flags }, params.autotest || import.meta.env.DEV);
}

/** Builds the game around a started session and runs the frame loop. */
function play(session: Session, page: Page, hook: boolean): void {
  const { world, renderer, spawn, online } = session;
  const { settings, pause, panel } = page;
  const viewChunks = settings.get().viewDistance;
  const queue = new MeshJobQueue(world.size);
  const pool = new MesherPool(world, queue, (id, quads, count, faces) => renderer.setChunkMesh(id, quads, count, faces), {
    size: page.flags.mesherMode === "single" ? 1 : undefined,
    failures: workerFailures,
    onWorkerFailure: reportWorkerFailure("mesher"),
    mode: meshModeFor(renderer.ao),
  });
  const streamer = new ChunkStreamer(world, queue, pool, renderer, viewChunks);
  const carveLatency = new CarveLatency((id) => streamer.isDrawn(id), () => renderer.whenSubmittedWorkDone());
  online?.onResync((dirty) => streamer.markDirty(dirty));
  page.telemetry.provide({ renderer: () => renderer.stats, meshPool: () => pool.stats });
  renderer.onDevice((device) => page.telemetry.provide({ device: () => device }));
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
    carveLatency: carveLatency.stats,
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
    carveLatency.carved(e.dirty, performance.now());
  });
  const trigger = new Trigger({ player, authority, online, feedback, world: stats.world });
  const keyboard = new Keyboard();
  // Pause menu: losing the pointer lock (Escape, another window) while playing opens settings;
  // a click on the game closes them (and captures the mouse again).
  const mouse = new MouseLook(page.canvas, trigger.fire, (locked) => {
    if (!locked && gameState() === GameState.Playing) pause.set(true);
  });
  page.canvas.addEventListener("click", () => pause.set(false));
  applySettings(settings, { mouse, renderer, streamer, sound });

  const afterFrame = hook ? installHook({ world, renderer, pool, player, online, feedback, sound, pause, stats, fire: trigger.fire }) : undefined;

  panel.show("Loading", "Meshing terrain…");
  const frame = new FrameLoop({
    world, renderer, pool, streamer, carveLatency, player, authority, online, feedback, keyboard, mouse, pause, stats, spawn, afterFrame,
    // Never wait for chunks beyond the view distance: they are not meshed at all.
    readyRadius: Math.min(READY_RADIUS, viewChunks),
    ready: () => {
      setGameState(GameState.Playing);
      if (page.notice !== null) page.notice.gameStarted();
      else panel.hide();
    },
  });
  startLoop(frame.step, () => settings.get().fpsCap);
}

/** The parts of a running game the test hook reaches. */
interface HookParts {
  readonly world: World;
  readonly renderer: Renderer;
  readonly pool: MesherPool;
  readonly player: PlayerController;
  readonly online: OnlineSession | null;
  readonly feedback: Feedback;
  readonly sound: SoundEngine;
  readonly pause: PauseState;
  readonly stats: GameStats;
  fire(): number;
}

/** Installs window.__game over the running game; returns its after-frame callback. */
function installHook(p: HookParts): (idle: boolean) => void {
  const tracked: TrackSample = { x: 0, y: 0, z: 0, yaw: 0 };
  const { player, renderer, online } = p;
  return installTestHook({
    stats: p.stats,
    state: gameState,
    aim: (yaw, pitch) => player.setAim(yaw, pitch),
    fire: p.fire,
    eye: () => {
      const eye = [0, 0, 0];
      player.eye(eye);
      return [eye[0], eye[1], eye[2]];
    },
    loseDevice: () => renderer.simulateDeviceLoss(),
    gpuDone: () => renderer.whenSubmittedWorkDone(),
    checksum: () => worldChecksum(p.world),
    net: () => online?.report() ?? null,
    hud: () => hudReport(p.feedback, p.pause, p.sound),
    entity: (id) => (online?.entityPosition(id, tracked) ? [tracked.x, tracked.y, tracked.z] : null),
    dropConnection: (ms) => online?.connection.simulateDrop(ms),
    terminateMeshWorker: (index) => p.pool.terminateWorkerForTest(index),
  });
}

/**
 * The player's settings, with the panel's "Game" section, kept in step with other tabs; a
 * `?view=` overrides the stored view distance for this page until the player picks one.
 */
/**
 * The player's settings, with the panel's "Game" section. `?view=` overrides the stored view
 * distance for this page until the player picks one; otherwise the view-distance flag is the
 * default of a player who has saved no settings of their own.
 */
function pageSettings(storage: StorageLike | null, flags: ClientFlagValues): SettingsStore {
  const settings = new SettingsStore(storage);
  window.addEventListener("storage", (e) => {
    if (e.key === SETTINGS_STORAGE_KEY) settings.syncFrom(e.newValue);
  });
  const urlView = viewOverride(location.search);
  if (urlView !== null) settings.overrideForSession("viewDistance", urlView);
  else if (flags.viewChunks !== undefined && !settings.hasStored()) settings.overrideForSession("viewDistance", flags.viewChunks);
  return settings;
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
