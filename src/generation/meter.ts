/**
 * What one generation costs its Durable Object, R2 and the client index, as
 * counted by the object itself (docs/cost.md prices these counts).
 *
 * The counts live in the object's memory and are written with the state row
 * whenever it is saved (store.ts), so keeping them adds no row written. They
 * are reported in the `generation.settled` log line. What the object cannot
 * see is not here: the Worker's own requests and its R2 get for each video
 * view (`video_reads` counts the views the object granted), the client
 * index's rows, and counts made after the last save before an eviction.
 */
import type { MeterCounts } from "../lib/log.ts";

export type { MeterCounts };

function emptyCounts(): MeterCounts {
  return {
    do_requests: 0,
    alarms: 0,
    rpc: {},
    rows_written: 0,
    rows_read: 0,
    setalarm_calls: 0,
    r2_class_a: 0,
    r2_class_b: 0,
    r2_free: 0,
    bytes_stored: 0,
    index_requests: 0,
    video_reads: 0,
    busy_ms: 0,
  };
}

export class Meter {
  private counts: MeterCounts;
  /** Operations in flight (alarm runs, webhook attempts) and when the first of them began. */
  private active = 0;
  private activeSince = 0;

  constructor(saved: MeterCounts | null = null) {
    this.counts = { ...emptyCounts(), ...saved, rpc: { ...saved?.rpc } };
  }

  /**
   * Adds counts saved before this instance existed. The store reads them once
   * it knows the object has a generation (its tables are only read then), so
   * what this instance counted meanwhile is kept.
   */
  addSaved(saved: MeterCounts): void {
    const counts = this.counts;
    for (const [name, value] of Object.entries(saved) as [keyof MeterCounts, MeterCounts[keyof MeterCounts]][]) {
      if (name === "rpc" || typeof value !== "number") continue;
      counts[name] += value;
    }
    for (const [method, calls] of Object.entries(saved.rpc ?? {}))
      counts.rpc[method] = (counts.rpc[method] ?? 0) + calls;
  }

  /** An RPC call into the object (billed as one Durable Object request). */
  request(method: string): void {
    this.counts.do_requests++;
    this.counts.rpc[method] = (this.counts.rpc[method] ?? 0) + 1;
  }

  /** An alarm invocation (billed as one Durable Object request). */
  alarm(): void {
    this.counts.do_requests++;
    this.counts.alarms++;
  }

  /** One SQL statement's rows, read once its cursor has been consumed. */
  sql(cursor: { rowsRead: number; rowsWritten: number }): void {
    this.counts.rows_read += cursor.rowsRead;
    this.counts.rows_written += cursor.rowsWritten;
  }

  /** A `setAlarm` call: billed as one row written. */
  setAlarm(): void {
    this.counts.setalarm_calls++;
    this.counts.rows_written++;
  }

  r2(kind: "a" | "b" | "free"): void {
    if (kind === "a") this.counts.r2_class_a++;
    else if (kind === "b") this.counts.r2_class_b++;
    else this.counts.r2_free++;
  }

  stored(bytes: number): void {
    this.counts.bytes_stored += bytes;
  }

  indexRequest(): void {
    this.counts.index_requests++;
  }

  videoRead(): void {
    this.counts.video_reads++;
  }

  /**
   * Marks the object busy until the returned function is called. Overlapping
   * operations count once: busy_ms is the time at least one was in flight.
   */
  busy(now = Date.now()): () => void {
    if (this.active === 0) this.activeSince = now;
    this.active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      if (this.active === 0) this.counts.busy_ms += Math.max(0, Date.now() - this.activeSince);
    };
  }

  /** The counts so far (a copy). */
  snapshot(): MeterCounts {
    return { ...this.counts, rpc: { ...this.counts.rpc } };
  }
}

const CLASS_A = new Set(["put", "createMultipartUpload", "list"]);
const CLASS_B = new Set(["get", "head"]);
const FREE = new Set(["delete"]);

/**
 * The bucket as the object uses it, with each operation counted by its R2
 * class (https://developers.cloudflare.com/r2/pricing/). A multipart upload's
 * parts and completion are Class A, its abort free. Bytes are counted when a
 * `put` or a completed upload reports the object's size.
 */
export function meteredBucket(bucket: R2Bucket, meter: Meter): R2Bucket {
  return new Proxy(bucket, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof property !== "string" || typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (CLASS_A.has(property) || CLASS_B.has(property) || FREE.has(property)) {
        return (...args: unknown[]) => {
          meter.r2(CLASS_A.has(property) ? "a" : CLASS_B.has(property) ? "b" : "free");
          const result = method.apply(target, args);
          if (property === "put") return countStored(result as Promise<R2Object | null>, meter);
          if (property === "createMultipartUpload") {
            return (result as Promise<R2MultipartUpload>).then((upload) => meteredUpload(upload, meter));
          }
          return result;
        };
      }
      if (property === "resumeMultipartUpload") {
        return (...args: unknown[]) => meteredUpload(method.apply(target, args) as R2MultipartUpload, meter);
      }
      return method.bind(target);
    },
  });
}

async function countStored(put: Promise<R2Object | null>, meter: Meter): Promise<R2Object | null> {
  const object = await put;
  if (object) meter.stored(object.size);
  return object;
}

function meteredUpload(upload: R2MultipartUpload, meter: Meter): R2MultipartUpload {
  return {
    key: upload.key,
    uploadId: upload.uploadId,
    uploadPart: (...args: Parameters<R2MultipartUpload["uploadPart"]>) => {
      meter.r2("a");
      return upload.uploadPart(...args);
    },
    abort: () => {
      meter.r2("free");
      return upload.abort();
    },
    complete: async (parts: R2UploadedPart[]) => {
      meter.r2("a");
      const object = await upload.complete(parts);
      meter.stored(object.size);
      return object;
    },
  };
}
