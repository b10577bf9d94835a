/**
 * Where `npm start` serves (scripts/dev.mjs): the port and protocol of the
 * `wrangler dev` arguments it passes on, with the port defaulted to 8787.
 * `--local-protocol https` serves https with wrangler's own self-signed
 * certificate, for scripts that only speak https (the AI/ML API's Node
 * examples built on the `https` module).
 */
export interface DevAddress {
  /** The arguments for wrangler, with `--port` added when none was given. */
  args: string[];
  url: string;
  https: boolean;
}

const DEFAULT_PORT = "8787";

export function devAddress(given: readonly string[]): DevAddress {
  const args = [...given];
  let port = option(args, "--port");
  if (port === null) {
    port = DEFAULT_PORT;
    args.push("--port", port);
  }
  const https = option(args, "--local-protocol") === "https";
  return { args, url: `${https ? "https" : "http"}://localhost:${port}`, https };
}

/** The value of `--name value` or `--name=value`; null when absent. */
function option(args: readonly string[], name: string): string | null {
  for (const [index, arg] of args.entries()) {
    if (arg === name) return args[index + 1] ?? null;
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return null;
}
