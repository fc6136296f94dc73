/**
 * A session opened on first use. A failed open is forgotten, so the retry of a shard that failed
 * to connect opens again instead of awaiting the same rejected promise.
 */
export class LazySession<T extends { close(): Promise<void> }> {
  private opening?: Promise<T>;

  constructor(private readonly open: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.opening) {
      const opening = this.open();
      this.opening = opening;
      opening.catch(() => {
        if (this.opening === opening) this.opening = undefined;
      });
    }
    return this.opening;
  }

  /** Close the session if it was opened successfully. */
  async close(): Promise<void> {
    const session = await this.opening?.catch(() => undefined);
    this.opening = undefined;
    await session?.close();
  }
}
