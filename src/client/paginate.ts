/** Cursor pagination over `{data, next_cursor}` pages, as the list routes answer. */

export interface CursorPage<Item> {
  data: Item[];
  next_cursor: string | null;
}

/**
 * A listing: `await` it for the first page, `for await` over it for every
 * item of every page, or over `pages()` for the pages themselves. Nothing is
 * fetched until one of these is used, and each use starts again from the
 * first page asked for.
 */
export class Paginated<Item, Page extends CursorPage<Item>> implements PromiseLike<Page>, AsyncIterable<Item> {
  readonly #fetchPage: (cursor: string | undefined) => Promise<Page>;
  readonly #firstCursor: string | undefined;

  constructor(fetchPage: (cursor: string | undefined) => Promise<Page>, firstCursor?: string) {
    this.#fetchPage = fetchPage;
    this.#firstCursor = firstCursor;
  }

  then<Result = Page, Rejected = never>(
    onFulfilled?: ((page: Page) => Result | PromiseLike<Result>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Result | Rejected> {
    return this.#fetchPage(this.#firstCursor).then(onFulfilled, onRejected);
  }

  async *pages(): AsyncGenerator<Page, void, undefined> {
    let cursor = this.#firstCursor;
    for (;;) {
      const page = await this.#fetchPage(cursor);
      yield page;
      if (page.next_cursor === null) return;
      cursor = page.next_cursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }
}
