import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { createStaticHandler } from "./http/static.ts";

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? "127.0.0.1";
const distDir = fileURLToPath(new URL("../../dist", import.meta.url));
const serveStatic = createStaticHandler(distDir);

const server = createServer((req, res) => {
  serveStatic(req, res)
    .then((handled) => {
      if (!handled) res.writeHead(405, { allow: "GET, HEAD" }).end();
    })
    .catch((err: unknown) => {
      console.error("static handler failed", err);
      if (!res.headersSent) res.writeHead(500).end();
    });
});
server.listen(port, host, () => {
  console.error(`game server listening on http://${host}:${port}`);
});
