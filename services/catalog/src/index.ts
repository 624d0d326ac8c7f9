/** The product catalog: lookup and search by name. */
export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
}

export class Catalog {
  private readonly bySku = new Map<string, Product>();

  add(p: Product): void {
    if (this.bySku.has(p.sku)) throw new Error(`duplicate sku ${p.sku}`);
    if (!Number.isInteger(p.priceCents) || p.priceCents < 0) throw new RangeError(`bad price for ${p.sku}`);
    this.bySku.set(p.sku, p);
  }

  get(sku: string): Product | undefined {
    return this.bySku.get(sku);
  }

  search(term: string): Product[] {
    const t = term.toLowerCase();
    return [...this.bySku.values()].filter((p) => p.name.toLowerCase().includes(t)).sort((a, b) => a.sku.localeCompare(b.sku));
  }
}
