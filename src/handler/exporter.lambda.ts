/**
 * Lambda entry point: one turn of the export loop (see ./engine.ts).
 */
import type { Context } from 'aws-lambda';
import { parseConfig } from './config';
import { Engine, TurnEvent, TurnResult } from './engine';

let engine: Engine | undefined;

export async function handler(event: TurnEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<TurnResult> {
  engine ??= new Engine(parseConfig(process.env.EXPORTER_CONFIG));
  return engine.turn(event, { remainingMs: () => context?.getRemainingTimeInMillis() ?? 900_000 });
}
