/**
 * A real local HTTP proxy in front of the relay, for the client's tests: it
 * records every request it forwards, and can cut a server-sent event stream
 * after its first event by destroying the connection, the way a network drop
 * or a restarting load balancer would.
 *
 * Erasable TypeScript only, so Node 22 runs it directly.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
  method: string;
  /** URL path and query, as sent. */
  path: string;
}

export interface CuttingProxy {
  /** Origin, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** Every request forwarded so far, oldest first. */
  requests(): ProxiedRequest[];
  /** Paths (without query) whose event stream is cut after its first `event:`; empty by default. */
  cutStreamsOf: Set<string>;
  close(): Promise<void>;
}

export async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const upstream = new URL(target);
  const seen: ProxiedRequest[] = [];
  const cutStreamsOf = new Set<string>();

  const server = http.createServer((req, res) => {
    const path = req.url ?? "/";
    seen.push({ method: req.method ?? "GET", path });
    const cut = cutStreamsOf.has(path.split("?")[0] ?? path);
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!cut) {
          answer.pipe(res);
          return;
        }
        answer.on("data", (chunk: Buffer) => {
          // Once an event has gone through, drop both connections mid-stream.
          res.write(chunk, () => {
            if (!chunk.toString("utf8").includes("event:")) return;
            res.destroy();
            answer.destroy();
          });
        });
        answer.on("end", () => res.end());
      },
    );
    forwarded.on("error", () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...seen],
    cutStreamsOf,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
