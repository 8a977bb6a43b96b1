// ioredis connections tuned per role, a fail-fast reachability check for the CLI, and the
// eviction-policy check (BullMQ loses jobs silently when Redis evicts keys).
import { Redis } from "ioredis";
import type { RedisOptions } from "ioredis";
import { MlqError, errorMessage } from "@mlq/core";
import type { Logger } from "@mlq/core";

export type RedisRole = "worker" | "queue" | "subscriber";

export interface RedisConnectionOptions {
  role: RedisRole;
  logger?: Logger | undefined;
  /** Shown in CLIENT LIST; defaults to `mlq-<role>`. */
  connectionName?: string | undefined;
  /** Extra ioredis options (tests: lazyConnect etc.). */
  overrides?: Partial<RedisOptions> | undefined;
}

/** Redis is unreachable or refused a command: worth retrying later. */
export class RedisUnavailableError extends MlqError {
  constructor(message: string, options?: { cause?: unknown; context?: Record<string, unknown> }) {
    super("REDIS_UNAVAILABLE", message, true, options);
  }
}

/** `redis://:secret@host:6379/2` -> `redis://:***@host:6379/2` (user names stay visible). */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/([^@/]*)@/, "//***@");
  }
}

/** Reconnect delay: 100 ms doubling per attempt, capped at 10 s (ioredis calls it with 1, 2, ...). */
export function reconnectDelayMs(attempt: number, capMs = 10_000): number {
  return Math.min(capMs, 100 * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

/**
 * Workers and subscribers must wait for Redis forever (`maxRetriesPerRequest: null`, BullMQ
 * requires it for blocking commands); queues used for enqueueing fail fast instead.
 */
export function redisOptionsFor(role: RedisRole): RedisOptions {
  const common: RedisOptions = {
    enableReadyCheck: true,
    connectTimeout: 5_000,
    retryStrategy: (times: number) => reconnectDelayMs(times),
    connectionName: `mlq-${role}`,
  };
  if (role === "queue") return { ...common, maxRetriesPerRequest: 1 };
  return { ...common, maxRetriesPerRequest: null };
}

export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  const opts: RedisOptions = { ...redisOptionsFor(options.role), ...options.overrides };
  if (options.connectionName) opts.connectionName = options.connectionName;
  const conn = new Redis(url, opts);
  const masked = maskRedisUrl(url);
  let lastError = "";
  // Without an 'error' listener ioredis prints every failed reconnect; log each distinct error once.
  conn.on("error", (err: unknown) => {
    const text = errorMessage(err);
    if (text === lastError) return;
    lastError = text;
    options.logger?.warn("redis connection error", { url: masked, role: options.role, error: text });
  });
  conn.on("ready", () => {
    if (lastError) options.logger?.info("redis connection restored", { url: masked, role: options.role });
    lastError = "";
  });
  return conn;
}

/** Resolves when Redis answers PING within `timeoutMs`, else throws one line naming the (masked) URL. */
export async function checkRedis(url: string, timeoutMs = 3_000): Promise<void> {
  const masked = maskRedisUrl(url);
  let lastErr: unknown;
  const conn = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    connectionName: "mlq-check",
  });
  conn.on("error", (err: unknown) => {
    lastErr = err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("ETIMEDOUT")), timeoutMs);
    });
    await Promise.race([conn.connect().then(() => conn.ping()), timeout]);
  } catch (err) {
    throw new RedisUnavailableError(`cannot reach Redis at ${masked} (${reasonOf(lastErr ?? err)})`, { cause: err, context: { url: masked } });
  } finally {
    clearTimeout(timer);
    conn.disconnect();
  }
}

function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  const msg = errorMessage(err);
  if (/NOAUTH|WRONGPASS|invalid password/i.test(msg)) return "authentication failed";
  return msg.length > 80 ? `${msg.slice(0, 77)}...` : msg;
}

/**
 * A warning text when Redis may evict BullMQ keys (`maxmemory-policy` other than noeviction),
 * null when it is safe or cannot be checked (CONFIG disabled by the provider).
 */
export async function checkNoEviction(connection: Redis): Promise<string | null> {
  let policy: string | undefined;
  try {
    const reply = (await connection.call("CONFIG", "GET", "maxmemory-policy")) as unknown;
    if (Array.isArray(reply) && typeof reply[1] === "string") policy = reply[1];
  } catch {
    return null;
  }
  if (policy === undefined || policy === "noeviction") return null;
  return (
    `Redis maxmemory-policy is "${policy}": Redis may evict job keys under memory pressure and lose jobs. ` +
    `Set "maxmemory-policy noeviction" in redis.conf (or run: CONFIG SET maxmemory-policy noeviction).`
  );
}

/** Deletes every key under `<prefix>:` (SCAN + DEL): test cleanup and `mlq` maintenance. Returns the count. */
export async function deleteKeysWithPrefix(connection: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}:*`;
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await connection.scan(cursor, "MATCH", pattern, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) deleted += await connection.del(...keys);
  } while (cursor !== "0");
  return deleted;
}
