// The train job: one (model × candidate) of a retrain's hyperparameter search. The candidate data
// comes from Redis by its sha256 (verified, decoded once per host and kept while the search runs),
// the booster trains on a worker thread (the job lock keeps renewing), and the validation
// predictions go back to the parent retrain as this job's return value.
import type { Redis } from "ioredis";
import type { Config } from "@mlq/config";
import { ConfigError } from "@mlq/core";
import { fetchBlob, type JobHandler, type JobSummary } from "@mlq/jobs";
import { candidateKey, decodeCandidateData, encodePredictions, threadCandidateTrainer, type CandidateData } from "@mlq/ml";

export interface TrainHandlerOptions {
  config: Config;
  /** Reads the candidate data (commands only). */
  connection: Redis;
  /** Recorded with each trial (MLQ_HOST_ID, else the OS hostname). */
  host: string;
  /** This worker's code build: a job built by another is refused. */
  build: string;
  /** Decoded candidate data kept per sha256 (default 2: the running search and the next one). */
  cacheEntries?: number;
}

/** The last few decoded candidate data sets by sha256, so a host fetches and decodes each once. */
export function candidateDataCache(
  entries: number,
  load: (sha256: string) => Promise<CandidateData>,
): {
  get(sha256: string): Promise<CandidateData>;
  readonly size: number;
} {
  const cache = new Map<string, Promise<CandidateData>>();
  return {
    get(sha256) {
      let p = cache.get(sha256);
      if (p) {
        cache.delete(sha256);
        cache.set(sha256, p);
        return p;
      }
      p = load(sha256);
      cache.set(sha256, p);
      p.catch(() => cache.delete(sha256));
      while (cache.size > entries) cache.delete(cache.keys().next().value!);
      return p;
    },
    get size() {
      return cache.size;
    },
  };
}

export function trainHandler(o: TrainHandlerOptions): JobHandler<"train"> {
  const prefix = o.config.queuePrefix;
  const cache = candidateDataCache(o.cacheEntries ?? 2, async (sha256) =>
    decodeCandidateData(await fetchBlob(o.connection, prefix, sha256)),
  );
  // One long-lived training thread per process: its WebAssembly instance is loaded once, not per job.
  const trainer = threadCandidateTrainer({ host: o.host });
  return async (payload, io) => {
    if (payload.build !== o.build)
      throw new ConfigError(
        `train job ${io.jobId} was published by build ${payload.build}; this worker-train runs build ${o.build}: deploy the same build on every training host`,
      );
    io.progress({ stage: "fetch", pct: 0 });
    const data = await cache.get(payload.dataSha256);
    io.progress({ stage: "train", pct: 10 });
    const key = candidateKey(payload.model, payload.candidate);
    const [result] = await trainer.train(data, [{ key, model: payload.model, candidate: payload.candidate, params: payload.params }], {
      signal: io.signal,
    });
    const r = result!;
    io.logger.info("candidate trained", { key, runId: payload.runId, seconds: r.seconds });
    return {
      key,
      model: payload.model,
      candidate: payload.candidate,
      dataSha256: payload.dataSha256,
      build: o.build,
      host: o.host,
      seconds: r.seconds,
      predictions: encodePredictions(r.predictions),
    } satisfies Record<string, unknown> as JobSummary;
  };
}
