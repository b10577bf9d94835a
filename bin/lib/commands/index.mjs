/**
 * Every command: its usage text, its positionals and options (parseArgs
 * specs) and `run(conn, values, positionals)`, in the order --help lists them.
 */
import * as cancel from "./cancel.mjs";
import * as download from "./download.mjs";
import * as events from "./events.mjs";
import * as generate from "./generate.mjs";
import * as list from "./list.mjs";
import * as models from "./models.mjs";
import * as purge from "./purge.mjs";
import * as status from "./status.mjs";

export const COMMANDS = { generate, status, list, cancel, purge, events, download, models };
