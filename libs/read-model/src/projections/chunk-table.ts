/** The key of a row named by several columns. */
export const rowKey = (...parts: string[]): string => parts.join('\u0000');

/**
 * One table's rows while a chunk of events is projected: each row is read at most once, changed
 * in memory, and only the rows that changed are written back (in the transaction that moves the
 * checkpoint). Generic: the projections decide what a row becomes, this keeps the bookkeeping.
 */
export class ChunkTable<Row> {
  readonly #rows = new Map<string, Row>();
  readonly #asked = new Set<string>();
  readonly #changed = new Set<string>();
  /** Keys of rows the database holds: read from it, or written to it since. */
  readonly #stored = new Set<string>();
  readonly #keyOf: (row: Row) => string;
  readonly #read: (ids: string[]) => Promise<readonly Row[]>;

  /**
   * `keyOf` names a row; `read` reads the rows stored for some ids (what an id is depends on the
   * table: a batch id, an organization id for its people, a batch id for its QC results).
   */
  constructor(keyOf: (row: Row) => string, read: (ids: string[]) => Promise<readonly Row[]>) {
    this.#keyOf = keyOf;
    this.#read = read;
  }

  get(key: string): Row | undefined {
    return this.#rows.get(key);
  }

  values(): IterableIterator<Row> {
    return this.#rows.values();
  }

  /** Reads the rows of the ids not asked for before; a row in memory is never replaced. */
  async load(ids: Iterable<string>): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !this.#asked.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.#asked.add(id);
    for (const row of await this.#read(fresh)) {
      const key = this.#keyOf(row);
      this.#stored.add(key);
      if (!this.#rows.has(key)) this.#rows.set(key, row);
    }
  }

  /** The row of `key`, read first if it was never asked for. */
  async find(key: string): Promise<Row | undefined> {
    await this.load([key]);
    return this.#rows.get(key);
  }

  /** Keeps a new or replaced row, to be written back. */
  put(row: Row): Row {
    const key = this.#keyOf(row);
    this.#rows.set(key, row);
    this.#asked.add(key);
    this.#changed.add(key);
    return row;
  }

  /** Marks a row changed in place, to be written back. */
  touch(row: Row): void {
    this.#changed.add(this.#keyOf(row));
  }

  /** How many rows it holds. */
  get size(): number {
    return this.#rows.size;
  }

  /** Once the changed rows are written: nothing is changed any more (the rows stay in memory). */
  settle(): void {
    for (const key of this.#changed) this.#stored.add(key);
    this.#changed.clear();
  }

  /**
   * Lets go of rows (written, and unchanged since): asked for again, they are read again. Only
   * for tables whose rows are asked for by their own key (what `keyOf` gives).
   */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      if (this.#changed.has(key)) continue;
      this.#rows.delete(key);
      this.#asked.delete(key);
      this.#stored.delete(key);
    }
  }

  changedKeys(): IterableIterator<string> {
    return this.#changed.values();
  }

  /**
   * Whether the database already holds a row of this key (read from it, or written since the
   * last `settle`): a row it does not hold can be inserted outright, without looking for one.
   */
  isStored(row: Row): boolean {
    return this.#stored.has(this.#keyOf(row));
  }

  /** The rows to write back. */
  changed(): Row[] {
    return [...this.#changed].flatMap((key) => {
      const row = this.#rows.get(key);
      return row === undefined ? [] : [row];
    });
  }
}
