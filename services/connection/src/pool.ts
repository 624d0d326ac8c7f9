/** A fixed-size pool of connections handed out first come, first served. */
export interface Connection {
  readonly id: number;
  query(sql: string): string;
}

export class Pool {
  private readonly idle: Connection[] = [];
  private readonly waiting: Array<(c: Connection) => void> = [];

  constructor(readonly size: number, readonly url: string) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    for (let id = 1; id <= size; id++) this.idle.push({ id, query: (sql) => `${url}#${id}: ${sql}` });
  }

  get available(): number {
    return this.idle.length;
  }

  acquire(): Promise<Connection> {
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(c: Connection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }

  async with<T>(work: (c: Connection) => Promise<T> | T): Promise<T> {
    const c = await this.acquire();
    try {
      return await work(c);
    } finally {
      this.release(c);
    }
  }
}
