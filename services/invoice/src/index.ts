/** Invoicing: totals with tax, stored through the shared connection pool. */
import { Pool } from '@sample/connection';

export interface Line {
  readonly description: string;
  readonly quantity: number;
  readonly unitCents: number;
}

/** Total in cents, tax rounded half up per invoice (not per line) as accountants expect. */
export function total(lines: readonly Line[], taxRate: number): number {
  const net = lines.reduce((sum, l) => sum + l.quantity * l.unitCents, 0);
  return net + Math.round(net * taxRate);
}

export async function saveInvoice(pool: Pool, customer: string, lines: readonly Line[], taxRate: number): Promise<string> {
  const amount = total(lines, taxRate);
  return pool.with((c) => c.query(`insert into invoices (customer, cents) values ('${customer}', ${amount})`));
}
