/**
 * Progress while waiting, on stderr. On a terminal: one live line, redrawn
 * with the elapsed time. Otherwise (a log, a pipe): a line per change, and a
 * heartbeat line now and then so a long wait shows it is alive.
 */
import type { Generation } from "../client/index.ts";
import { setProgressCleanup } from "./interrupt.ts";
import { log } from "./output.ts";

const REDRAW_MS = 200;
/** Without a change for this long, a log gets the current state again. */
const HEARTBEAT_MS = 30_000;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const CLEAR_LINE = "\r\x1b[2K";

/** `generating (upstream: active, upstream polls: 4)`. */
export function describe(generation: Generation): string {
  const parts: string[] = [];
  if (generation.upstream.status !== null) parts.push(`upstream: ${generation.upstream.status}`);
  parts.push(`upstream polls: ${generation.upstream.polls}`);
  return `${generation.status} (${parts.join(", ")})`;
}

export class Progress {
  readonly #live = process.stderr.isTTY === true;
  readonly #started = Date.now();
  #state = "";
  #lastPrinted = 0;
  #frame = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    if (this.#live) {
      this.#timer = setInterval(() => this.#draw(), REDRAW_MS);
      setProgressCleanup(() => this.stop());
    } else {
      this.#timer = setInterval(() => {
        if (this.#state !== "" && Date.now() - this.#lastPrinted >= HEARTBEAT_MS) this.#print(this.#state);
      }, HEARTBEAT_MS / 3);
    }
    // The wait itself keeps the process alive, not the redraw.
    this.#timer.unref();
  }

  update(generation: Generation): void {
    const state = describe(generation);
    if (state === this.#state) return;
    this.#state = state;
    if (this.#live) this.#draw();
    else this.#print(state);
  }

  /** A line that stays (a retry, the stream being cut). */
  notice(message: string): void {
    if (this.#live) process.stderr.write(CLEAR_LINE);
    log(`${this.#elapsed()} ${message}`);
    if (this.#live) this.#draw();
  }

  /** Ends the live line, leaving the last state on the terminal. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    setProgressCleanup(null);
    if (this.#live && this.#state !== "") process.stderr.write(`${CLEAR_LINE}${this.#elapsed()} ${this.#state}\n`);
  }

  #elapsed(): string {
    return `[${((Date.now() - this.#started) / 1000).toFixed(1)}s]`;
  }

  #print(state: string): void {
    this.#lastPrinted = Date.now();
    log(`${this.#elapsed()} ${state}`);
  }

  #draw(): void {
    if (this.#state === "") return;
    this.#frame = (this.#frame + 1) % SPINNER.length;
    process.stderr.write(`${CLEAR_LINE}${SPINNER[this.#frame] ?? ""} ${this.#elapsed()} ${this.#state}`);
  }
}
