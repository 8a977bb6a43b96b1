// Prints a reachable REDIS_URL on stdout. Uses $REDIS_URL (or 127.0.0.1:6379) when it answers
// PING; otherwise starts a private redis-server on a free loopback port if one is installed;
// otherwise explains how to get one and exits 1.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.env.REDIS_URL || "redis://127.0.0.1:6379";

function ping(u, timeoutMs = 1500) {
  const { hostname, port, password } = new URL(u);
  return new Promise((resolve) => {
    const sock = net.connect({ host: hostname || "127.0.0.1", port: Number(port || 6379) });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => {
      if (password) sock.write(`AUTH ${decodeURIComponent(password)}\r\n`);
      sock.write("PING\r\n");
    });
    let buf = "";
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("+PONG")) done(true);
      else if (buf.includes("-")) done(false);
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

if (await ping(url)) {
  process.stdout.write(url + "\n");
  process.exit(0);
}
const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
const bin = which.stdout.trim();
if (!bin) {
  process.stderr.write(
    `mlq: no Redis answers at ${url.replace(/:[^:@/]*@/, ":***@")} and redis-server is not installed.\n` +
      "  Install one:  sudo apt-get install -y redis-server   (Debian/Ubuntu)\n" +
      "  or run:       docker compose -f infra/docker-compose.yml up -d redis\n" +
      "  or set REDIS_URL to a reachable server.\n",
  );
  process.exit(1);
}
const port = await freePort();
const dir = join(tmpdir(), `mlq-redis-${port}`);
mkdirSync(dir, { recursive: true });
const r = spawnSync(bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", dir, "--logfile", join(dir, "redis.log")], {
  encoding: "utf8",
});
const local = `redis://127.0.0.1:${port}`;
for (let i = 0; i < 50 && !(await ping(local)); i++) await new Promise((res) => setTimeout(res, 100));
if (r.status !== 0 || !(await ping(local))) {
  process.stderr.write(`mlq: started redis-server on port ${port} but it does not answer (see ${dir}/redis.log)\n`);
  process.exit(1);
}
process.stderr.write(`mlq: no Redis at ${url}; started a private redis-server at ${local} (stop it with: redis-cli -p ${port} shutdown)\n`);
process.stdout.write(local + "\n");
