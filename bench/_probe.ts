import { startFakeAimlapi } from "../test/support/fake-aimlapi.ts";
import { startRelay } from "../test/support/relay-process.ts";
import { execFileSync } from "node:child_process";
const upstream = await startFakeAimlapi({ apiKey: "k", keepAliveTimeoutMs: 3000 });
const floor = await startRelay({ vars: { UPSTREAM_URL: upstream.url }, config: "bench/floor/wrangler.jsonc" });
const port = new URL(upstream.url).port;
try {
  const p = fetch(`${floor.url}/upstream-probe?n=10&gap_ms=300&method=POST`).then((r) => r.text());
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 400));
    const out = execFileSync("ss", ["-tan"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(`:${port}`));
    console.log(out.length, out.map((l) => l.replace(/\s+/g, " ")).join(" | "));
  }
  console.log(await p);
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const out = execFileSync("ss", ["-tan"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(`:${port}`));
    console.log("after", out.length, out.map((l) => l.replace(/\s+/g, " ")).join(" | "));
  }
} finally {
  await floor.stop();
  await upstream.close();
}
