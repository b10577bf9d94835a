/**
 * Reading `GET /v1/generations/{id}/stream`: server-sent events, one
 * `generation` event per status change (the history first), closed by the
 * relay after the terminal one. Parsed with eventsource-parser.
 */
import { createParser } from "eventsource-parser";
import { CLIENT_ERROR_CODES, describeCause, WanRelayError } from "./errors.ts";
import { readWithin } from "./runtime.ts";
import type { Generation } from "./types.ts";

/** The relay sends a keep-alive comment at least every 15 s: this long without a byte means the stream is dead. */
export const STREAM_IDLE_TIMEOUT_MS = 45_000;
const GENERATION_EVENT = "generation";

/**
 * Whether a generation has ended (completed, failed or canceled): the API
 * sets `completed_at` when it reaches a terminal status, and only then.
 */
export const isFinished = (generation: Generation): boolean => generation.completed_at !== null;

/**
 * Reads the event stream to its end. Returns the terminal Generation, or
 * null when the stream ended without one (the relay closed it early).
 * Throws a WanRelayError (`network_error` or `timeout`) when the connection
 * breaks or stalls, and the signal's reason when it aborts.
 */
export async function followStream(
  body: ReadableStream<Uint8Array>,
  onUpdate: (generation: Generation) => void,
  abortRequest: () => void,
  idleTimeoutMs = STREAM_IDLE_TIMEOUT_MS,
): Promise<Generation | null> {
  let final: Generation | null = null;
  let malformed: WanRelayError | null = null;
  const parser = createParser({
    onEvent: (event) => {
      if (event.event !== GENERATION_EVENT || final !== null || malformed !== null) return;
      let generation: Generation;
      try {
        generation = JSON.parse(event.data) as Generation;
      } catch (error) {
        malformed = new WanRelayError("the stream sent an event that is not JSON", {
          code: CLIENT_ERROR_CODES.unexpectedResponse,
          cause: error,
        });
        return;
      }
      onUpdate(generation);
      if (isFinished(generation)) final = generation;
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const stalled = (): WanRelayError => {
    abortRequest();
    return new WanRelayError(`the live stream sent nothing for ${idleTimeoutMs / 1000}s`, {
      code: CLIENT_ERROR_CODES.timeout,
    });
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await readWithin(reader, idleTimeoutMs, stalled);
      } catch (error) {
        if (error instanceof WanRelayError) throw error;
        throw new WanRelayError(`the live stream broke: ${describeCause(error)}`, {
          code: CLIENT_ERROR_CODES.network,
          cause: error,
        });
      }
      if (chunk.done) break;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      if (malformed !== null) throw malformed;
      if (final !== null) return final;
    }
    return final;
  } finally {
    // Done with it either way: release the connection (the relay would close it after the terminal event too).
    reader.cancel().catch(() => undefined);
  }
}
