/** Payroll: net pay after a progressive tax, paid out through the shared connection pool. */
import { Pool } from '@sample/connection/pool';

export interface Band {
  /** Upper bound of the band in cents per year, or Infinity. */
  readonly upTo: number;
  readonly rate: number;
}

export function annualTax(grossCents: number, bands: readonly Band[]): number {
  let tax = 0;
  let lower = 0;
  for (const b of bands) {
    if (grossCents <= lower) break;
    tax += (Math.min(grossCents, b.upTo) - lower) * b.rate;
    lower = b.upTo;
  }
  return Math.round(tax);
}

export async function pay(pool: Pool, employee: string, grossCents: number, bands: readonly Band[]): Promise<string> {
  const net = grossCents - annualTax(grossCents, bands);
  return pool.with((c) => c.query(`insert into payslips (employee, net_cents) values ('${employee}', ${net})`));
}
