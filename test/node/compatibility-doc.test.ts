/**
 * docs/compatibility.md against the synced documentation facts
 * (test/support/documented-examples.ts): every deliberate refusal and every
 * example that does not parse is listed there, with the counts the page
 * states, so a new sync that changes them cannot pass unnoticed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MODELS } from "../../src/models/catalogue.ts";
import { REPO_ROOT } from "../support/relay-process.ts";
import { DOCUMENTED_EXAMPLES } from "../support/documented-examples.ts";

const page = readFileSync(`${REPO_ROOT}/docs/compatibility.md`, "utf8");
const { examples, unreadable } = DOCUMENTED_EXAMPLES;

describe("docs/compatibility.md", () => {
  it("lists every example the relay refuses on purpose, with its model and the field it names", () => {
    for (const example of examples.filter((e) => e.refused !== null)) {
      const where = `${example.page} ${example.block}`;
      // Ids of one family may be written together (`…-a14b-{depth,inpainting,…}`): the page file names them apart.
      const file = example.page.split("/").at(-1)?.replace(/\.md$/, "") ?? "";
      const stem = file.replace(/-(depth|inpainting|outpainting|pose)-image-to-video$/, "");
      expect(page.includes(file) || page.includes(stem), where).toBe(true);
      expect(page, where).toContain(`\`${example.refused?.field.split(".")[0] ?? "?"} `);
    }
  });

  it("lists every example block that does not parse", () => {
    for (const block of unreadable) {
      expect(page, block.page).toContain(block.page.split("/").at(-1)?.replace(/\.md$/, "") ?? "?");
    }
  });

  it("states the counts of the synced facts", () => {
    const taken = examples.filter((example) => example.refused === null).length;
    expect(page).toContain(`**${examples.length} example requests**`);
    expect(page).toContain(`**${taken}**`);
    expect(page).toContain(`to ${MODELS.length}.`);
    expect(page).toContain(`${unreadable.length} JavaScript blocks that do not parse`);
  });
});
