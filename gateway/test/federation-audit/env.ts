/**
 * Our copy of the audit's `src/env.ts`: some subgraphs throw when a plan reaches them needlessly,
 * with `PUNISH_FOR_POOR_PLANS=1` only (the audit's own `.env` sets it to 0; its published results
 * are without it). Unlike upstream, no `.env` file is read.
 */
export function shouldPunishForPoorPlans(): boolean {
  return process.env.PUNISH_FOR_POOR_PLANS === '1';
}
