import { randomBytes } from "node:crypto";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { log } from "../output.ts";

/** 32 random bytes, as `openssl rand -hex 32` and `openssl rand -base64 32` give them. */
const SECRET_BYTES = 32;
/** A client name the relay's RELAY_API_KEYS can carry: no `:` or `,`, nothing to quote in a shell. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const keys: Command = {
  synopsis: "NAME",
  summary: "make a client key for RELAY_API_KEYS (or a WEBHOOK_SECRET)",
  usage: () => `Usage: wan-relay keys NAME
       wan-relay keys --webhook-secret

Prints a new client key line for the relay's RELAY_API_KEYS on stdout,
NAME:KEY with KEY ${SECRET_BYTES} random bytes in hex, and how to install it on stderr.
The relay files generations under NAME, so the key can be rotated later
without losing them; clients send KEY (--key or WAN_RELAY_KEY).
The same without this tool:  echo "NAME:$(openssl rand -hex ${SECRET_BYTES})"

Options:
  --webhook-secret  print a master WEBHOOK_SECRET instead: whsec_ and ${SECRET_BYTES} random
                    bytes in base64, the same as: echo "whsec_$(openssl rand -base64 ${SECRET_BYTES})"

Nothing is sent anywhere: no --url or --key needed.`,
  positionals: ["NAME"],
  optionalPositional: (values) => values["webhook-secret"] === true,
  options: { "webhook-secret": { type: "boolean" } },
  async run({ values, positionals: [name] }) {
    if (values["webhook-secret"] === true) {
      if (name !== undefined) throw new UsageError("--webhook-secret takes no NAME", "keys");
      process.stdout.write(`whsec_${randomBytes(SECRET_BYTES).toString("base64")}\n`);
      log(`Set it as the relay's master webhook secret (clients' own secrets derive from it):
  npx wrangler secret put WEBHOOK_SECRET
The same without this tool:  echo "whsec_$(openssl rand -base64 ${SECRET_BYTES})"`);
      return;
    }
    if (name === undefined || !CLIENT_NAME.test(name)) {
      throw new UsageError(`NAME must be letters, digits, ".", "_" or "-", got "${name ?? ""}"`, "keys");
    }
    const key = randomBytes(SECRET_BYTES).toString("hex");
    process.stdout.write(`${name}:${key}\n`);
    log(`Add it to the relay's RELAY_API_KEYS (comma-separated, every key in one value):
  npx wrangler secret put RELAY_API_KEYS     (locally: RELAY_API_KEYS="…,${name}:…" in .dev.vars)
The client then uses: WAN_RELAY_KEY=${key}
The same without this tool:  echo "${name}:$(openssl rand -hex ${SECRET_BYTES})"`);
  },
};
