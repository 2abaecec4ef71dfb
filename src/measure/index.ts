// The measurement contract (../../../shared/measurement-spec.md): pure functions from raw samples and
// ledgers to RTO/RPO figures, verdicts and the result record.
export * from './types.ts';
export * from './recovery.ts';
export * from './ledger.ts';
export * from './verdict.ts';
export * from './result.ts';
