/**
 * What the client needs from its runtime, found the same way in Node >= 18,
 * Workers and browsers: WebCrypto (a global everywhere but in Node 18, where
 * it sits in `node:crypto`) and, in Node only, the environment's defaults.
 */

/** WebCrypto's SubtleCrypto. */
export async function subtleCrypto(): Promise<SubtleCrypto> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (subtle !== undefined) return subtle;
  // Node 18 has no global `crypto`. The specifier is a variable so that bundlers for
  // browsers and Workers leave this branch alone: it only runs where the global is missing.
  const specifier = "node:crypto";
  const nodeCrypto = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as {
    webcrypto: { subtle: SubtleCrypto };
  };
  return nodeCrypto.webcrypto.subtle;
}

/** An environment variable in Node (or a runtime that mirrors `process.env`); undefined elsewhere. */
export function environmentVariable(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * An AbortSignal that fires when `parent` does or when `abort()` is called;
 * `clear()` detaches it from the parent. (AbortSignal.any is newer than Node 18.)
 */
export function linkedAbort(parent: AbortSignal | undefined): {
  signal: AbortSignal;
  abort: (reason?: unknown) => void;
  clear: () => void;
} {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted === true) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    clear: () => parent?.removeEventListener("abort", onAbort),
  };
}

/**
 * The reader's next chunk, or `onIdle()`'s error when none comes within `ms`
 * (a stalled connection that never closes). The read stays pending after a
 * timeout: the caller aborts the request, which ends it.
 */
export async function readWithin<T>(
  reader: ReadableStreamDefaultReader<T>,
  ms: number,
  onIdle: () => Error,
): Promise<ReadableStreamReadResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onIdle()), ms);
  });
  try {
    return await Promise.race([reader.read(), idle]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
