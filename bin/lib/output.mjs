/** stdout carries the API's JSON only (so it pipes into jq); everything else goes to stderr. */

export function printJson(value) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function log(line) {
  process.stderr.write(`${line}\n`);
}
