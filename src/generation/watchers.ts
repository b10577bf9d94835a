/**
 * The open live feeds of one generation, kept by its Durable Object for the
 * SSE route: each feed is one byte stream handed to the Worker over RPC, so a
 * viewer costs one subrequest for the whole wait instead of one per poll of
 * the object. The object publishes each status change as it happens; a feed
 * ends after the terminal one.
 *
 * Frames are JSON lines, `{"seq": n, "summary": {...}}\n`: the Generation at
 * that change without a signed link; the reader signs it when it sends it on.
 */
import type { GenerationSummary } from "./view.ts";

export interface Frame {
  /** The snapshot's sequence number: a feed can be resumed after it. */
  seq: number;
  summary: GenerationSummary;
}

const encoder = new TextEncoder();
const encode = (frame: Frame): Uint8Array => encoder.encode(`${JSON.stringify(frame)}\n`);

export class Watchers {
  private readonly feeds = new Set<WritableStreamDefaultWriter<Uint8Array>>();

  /** A new feed: `history` first, then every published frame; closed at once if `ended`. */
  open(history: readonly Frame[], ended: boolean): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    for (const frame of history) this.write(writer, frame);
    if (ended) this.close(writer);
    else this.feeds.add(writer);
    return readable;
  }

  /** Sends `frame` to every open feed, closing them after a terminal status. */
  publish(frame: Frame, terminal: boolean): void {
    for (const writer of this.feeds) {
      this.write(writer, frame);
      if (terminal) this.close(writer);
    }
  }

  /** Ends every open feed (the generation is being deleted). */
  closeAll(): void {
    for (const writer of this.feeds) this.close(writer);
  }

  get size(): number {
    return this.feeds.size;
  }

  private write(writer: WritableStreamDefaultWriter<Uint8Array>, frame: Frame): void {
    // Writes queue in order; one that fails means the viewer went away.
    writer.write(encode(frame)).catch(() => this.feeds.delete(writer));
  }

  private close(writer: WritableStreamDefaultWriter<Uint8Array>): void {
    this.feeds.delete(writer);
    writer.close().catch(() => undefined);
  }
}
