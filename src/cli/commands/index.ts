/** Every command, in the order the tool's help lists them. */
import type { Command } from "../command.ts";
import { cancel } from "./cancel.ts";
import { download } from "./download.ts";
import { events } from "./events.ts";
import { generate } from "./generate.ts";
import { keys } from "./keys.ts";
import { list } from "./list.ts";
import { models } from "./models.ts";
import { purge } from "./purge.ts";
import { status } from "./status.ts";
import { usage } from "./usage.ts";

export const COMMANDS = {
  generate,
  status,
  list,
  cancel,
  purge,
  events,
  download,
  models,
  usage,
  keys,
} as const satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;
