/**
 * What became of each generation, read from a relay's lifecycle log lines
 * (src/lib/log.ts: one JSON object a line, each with `generation` and
 * `age_ms`), so a load test or bench can follow hundreds of generations
 * without reading them over the API while they run.
 */

export interface Outcome {
  /** The terminal state, once a `generation.status` line has moved it there. */
  terminal?: { status: string; code: string | null; ageMs: number };
  /** The first failure line's code, before the status line that follows it. */
  failedCode?: string;
}

const TERMINAL = new Set(["completed", "failed", "canceled"]);

interface LifecycleLine {
  event?: string;
  generation?: string;
  age_ms?: number;
  to?: string;
  code?: string;
}

/** Every generation's outcome so far, by id. */
export function parseOutcomes(logs: string): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  for (const line of logs.split("\n")) {
    if (!line.startsWith('{"level":')) continue;
    if (!line.includes('"generation.status"') && !line.includes('"generation.failed"')) continue;
    let parsed: LifecycleLine;
    try {
      parsed = JSON.parse(line) as LifecycleLine;
    } catch {
      continue; // a line cut by the pipe
    }
    const id = parsed.generation;
    if (id === undefined) continue;
    const outcome = out.get(id) ?? {};
    out.set(id, outcome);
    if (parsed.event === "generation.failed") {
      outcome.failedCode = parsed.code ?? "?";
      if (outcome.terminal !== undefined) outcome.terminal.code = outcome.failedCode;
    } else if (parsed.to !== undefined && TERMINAL.has(parsed.to) && outcome.terminal === undefined) {
      outcome.terminal = { status: parsed.to, code: outcome.failedCode ?? null, ageMs: parsed.age_ms ?? 0 };
    }
  }
  return out;
}
