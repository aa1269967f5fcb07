/**
 * Lambda entry point: one turn of the export loop (see ./engine.ts). The exporter's
 * configuration comes with every turn, from the state machine definition.
 */
import type { Context } from 'aws-lambda';
import { cloudWatch, logs, s3 } from './aws';
import { clock } from './clock';
import { Engine, TurnEvent, TurnResult } from './engine';
import { parseConfig } from '../shared/config';

/** One engine per configuration (one per container in practice): windows it computed stay computed. */
const engines = new Map<string, Engine>();

export async function handler(event: TurnEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<TurnResult> {
  const key = JSON.stringify(event.config ?? null);
  let engine = engines.get(key);
  if (!engine) {
    engine = new Engine(parseConfig(event.config), { logs, s3, cloudWatch, clock });
    engines.set(key, engine);
  }
  return engine.turn(event, { remainingMs: () => context?.getRemainingTimeInMillis() ?? 900_000 });
}
