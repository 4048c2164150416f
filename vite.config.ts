import { defineConfig } from "vite";

// The game server (npm start) serves dist/ and the WebSocket on one port.
// `npm run dev` runs Vite with HMR and proxies the server routes to a game server on GAME_PORT.
const gamePort = Number(process.env.GAME_PORT ?? 8080);

export default defineConfig({
  root: ".",
  publicDir: "public",
  build: { outDir: "dist", target: "es2022", sourcemap: true, emptyOutDir: true },
  worker: { format: "es" },
  server: {
    host: "127.0.0.1",
    proxy: {
      "/ws": { target: `ws://127.0.0.1:${gamePort}`, ws: true },
      "/telemetry": `http://127.0.0.1:${gamePort}`,
      "/v1": `http://127.0.0.1:${gamePort}`,
      "/healthz": `http://127.0.0.1:${gamePort}`,
    },
  },
});
