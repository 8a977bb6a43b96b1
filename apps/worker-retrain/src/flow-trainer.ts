// The retrain worker's side of the search as a BullMQ flow (issue 18): the CandidateTrainer port of
// @mlq/ml implemented with child jobs on the `train` queue. The candidate data is published once to
// Redis, content-addressed; each (model × candidate) is a child of the running retrain job, which then
// moves to waiting-children and suspends. When the children are done BullMQ moves the retrain back to
// wait, its processor runs again from the top, the retrain resumes at the search from its checkpoint,
// and this trainer — called again with the same data — finds every child's result.
import { createHash } from "node:crypto";
import type { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { AbortedError, InputDataError, SuspendedError, throwIfAborted, type Logger } from "@mlq/core";
import {
  addChildren,
  blobCapBytes,
  deleteBlob,
  flowCancelReason,
  publishBlob,
  readChildren,
  jobCatalog,
  parentStoppedReason,
  stopChildren,
  type TrainPayload,
} from "@mlq/jobs";
import {
  checkCandidateData,
  decodePredictions,
  encodeCandidateData,
  type CandidateOutcome,
  type CandidateSpec,
  type CandidateTrainer,
} from "@mlq/ml";
import type { Config } from "@mlq/config";

/** What a worker-train child returns (JSON in the parent's processed hash). */
export interface TrainChildResult {
  key: string;
  model: string;
  candidate: number;
  dataSha256: string;
  build: string;
  host: string;
  seconds: number;
  /** base64 of the validation predictions (float64, little-endian). */
  predictions: string;
}

export interface FlowTrainerOptions {
  config: Config;
  /** Commands only (never closed here). */
  connection: Redis;
  /** The train queue (children are added through it). */
  trainQueue: Queue;
  /** The running retrain job and its lock token. */
  job: Job;
  token: string | undefined;
  build: string;
  logger: Logger;
}

/** The set of blobs a retrain job published (so every way out of the job deletes them). */
export function flowBlobsKey(prefix: string, jobId: string): string {
  return `${prefix}:mlq:flow-blobs:retrain:${jobId}`;
}

/** A child's job id: the parent's id, the run and the candidate (deterministic, so adding it twice is a no-op; BullMQ ids may not hold ':'). */
export function childId(parentId: string, runId: number, spec: Pick<CandidateSpec, "key">): string {
  return `${parentId.replace(/:/g, "_")}-r${runId}-${spec.key}`;
}

export function flowCandidateTrainer(o: FlowTrainerOptions): CandidateTrainer {
  const { config, connection, job, logger } = o;
  const prefix = config.queuePrefix;
  const parentId = job.id ?? "";
  return {
    kind: "flow",
    async train(data, specs, { signal, onResult, runId } = {}) {
      if (runId === undefined) throw new Error("flow trainer: the search gave no run id");
      checkCandidateData(data);
      const bytes = encodeCandidateData(data);
      const sha256 = createHash("sha256").update(bytes).digest("hex");
      const ids = specs.map((s) => childId(parentId, runId, s));
      const byId = new Map(specs.map((s, i) => [ids[i]!, s]));
      const total = specs.length;
      let published = false;
      for (let round = 0; round < 5; round++) {
        throwIfAborted(signal);
        const cancelled = await flowCancelReason(connection, prefix, "retrain", parentId);
        if (cancelled) throw new AbortedError(cancelled);
        const st = await readChildren<TrainChildResult>(connection, prefix, "train", job, ids);
        if (st.failed.size > 0) {
          const [id, reason] = [...st.failed.entries()][0]!;
          const why = `search candidate ${byId.get(id)!.key} failed: ${reason}`;
          await stopChildren(connection, prefix, job, parentStoppedReason(parentId, why));
          throw new InputDataError(why, {
            context: { failed: Object.fromEntries(st.failed) },
          });
        }
        for (const [id, r] of st.done) {
          if (r.dataSha256 !== sha256)
            throw new InputDataError(
              `search candidate ${byId.get(id)!.key} was trained on data ${r.dataSha256.slice(0, 12)}, not this pass's ${sha256.slice(0, 12)}: the candles under the search changed while it waited; run the retrain again`,
            );
        }
        onResult?.(st.done.size, total);
        if (st.done.size === total) {
          await deleteBlob(connection, prefix, sha256);
          return ids.map((id) => outcome(byId.get(id)!, st.done.get(id)!, data.validationRows));
        }
        if (st.missing.size > 0) {
          if (!published) {
            const cap = await blobCapBytes(connection);
            const blob = await publishBlob(connection, prefix, bytes, {
              ttlSec: config.search.blobTtlSec,
              capBytes: cap.capBytes,
              capSource: cap.source,
              what: "the search's candidate data",
              hint: "lower MLQ_MAX_TRAINING_ROWS or raise Redis maxmemory",
            });
            await connection
              .multi()
              .sadd(flowBlobsKey(prefix, parentId), sha256)
              .expire(flowBlobsKey(prefix, parentId), config.search.blobTtlSec)
              .exec();
            logger.info("search data published", {
              sha256,
              bytes: blob.bytes,
              chunks: blob.chunks,
              reused: blob.reused,
              capBytes: cap.capBytes,
            });
            published = true;
          }
          const children = [...st.missing].map((id) => {
            const spec = byId.get(id)!;
            const payload: TrainPayload = {
              runId,
              dataSha256: sha256,
              build: o.build,
              model: spec.model,
              candidate: spec.candidate,
              params: spec.params,
            };
            return { id, name: "train", data: payload as unknown as Record<string, unknown> };
          });
          await addChildren(o.trainQueue, job, children, {
            ...childJobOptions(config),
          });
          logger.info("search candidates added to the train queue", { added: children.length, total, runId });
        }
        // Suspends unless every child finished meanwhile (then the loop reads their results).
        const moved = await job.moveToWaitingChildren(o.token ?? "");
        if (moved) throw new SuspendedError(`waiting for ${total - st.done.size} of ${total} search candidates on the train queue`);
      }
      throw new Error("flow trainer: the children's state kept changing; giving up this pass");
    },
  };
}

/** The children's retry policy is the train queue's; completed ones are kept a day at most (100 at most: each holds its validation predictions). */
export function childJobOptions(config: Config): {
  attempts: number;
  backoff: { type: "exponential"; delay: number };
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
} {
  const train = jobCatalog(config).train;
  return {
    attempts: train.retry.attempts,
    backoff: { ...train.retry.backoff },
    removeOnComplete: {
      age: Math.min(train.retention.removeOnComplete.age, 86_400),
      count: Math.min(train.retention.removeOnComplete.count, 100),
    },
    removeOnFail: { ...train.retention.removeOnFail },
  };
}

function outcome(spec: CandidateSpec, r: TrainChildResult, validationRows: number): CandidateOutcome {
  return {
    key: spec.key,
    model: spec.model,
    candidate: spec.candidate,
    predictions: decodePredictions(r.predictions, validationRows),
    seconds: r.seconds,
    host: r.host,
  };
}

/** Deletes every blob the job published and stops its unfinished children: every way out of a retrain that is not a suspension. */
export async function cleanUpFlow(connection: Redis, prefix: string, job: Job, logger: Logger): Promise<void> {
  const key = flowBlobsKey(prefix, job.id ?? "");
  try {
    const shas = await connection.smembers(key);
    for (const sha of shas) await deleteBlob(connection, prefix, sha);
    await connection.del(key);
    const stopped = await stopChildren(connection, prefix, job, parentStoppedReason(job.id ?? "", "the retrain ended"));
    if (shas.length > 0 || stopped.removed + stopped.signalled > 0)
      logger.info("search flow cleaned up", { blobs: shas.length, ...stopped });
  } catch (err) {
    logger.warn("could not clean up the search flow (its data expires by TTL)", { error: (err as Error).message });
  }
}
