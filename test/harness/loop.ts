/**
 * Runs the synthesized state machine with aws-local-stepfunctions, its Lambda task bound to the
 * real handler engine, its continue-as-new task bound to starting the next execution, on the
 * virtual clock of the fakes. Emulates what the local interpreter lacks: `$$.State.RetryCount`,
 * the Wait state's duration (advanced on the virtual clock) and the execution timeout.
 */
import { VirtualClock } from './fakes';
import { ExporterStack, exporterOf } from '../../examples/local/assembly';
import { localStateMachine, runOptions } from '../../examples/local/run';
import { ExporterConfig, parseConfig } from '../../src/handler/config';
import { Engine, TurnResult } from '../../src/handler/engine';

export { ACCOUNT, REGION, resolve } from '../../examples/local/assembly';

export interface Synthesized extends ExporterStack {
  readonly config: ExporterConfig;
}

/** The state machine definition and the handler configuration of a synthesized template. */
export function fromTemplate(template: any, bucketName = 'exports-bucket'): Synthesized {
  const exporter = exporterOf(template, bucketName);
  return { ...exporter, config: parseConfig(exporter.configJson) };
}

export interface Execution {
  readonly name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  error?: string;
  cause?: string;
  output?: TurnResult;
  /** States entered (each is one billed state transition). */
  transitions: number;
  /** Execution history events, counted as Step Functions writes them. */
  historyEvents: number;
  invocations: number;
}

export interface RunOptions {
  /** Throw from the handler on these invocation numbers (1-based, over the whole run). */
  readonly crashOn?: number[];
  /** Invocations that hang for `hangMs` of virtual time, then time out (a stuck dependency). */
  readonly hangOn?: number[];
  readonly hangMs?: number;
}

export class Loop {
  readonly executions: Execution[] = [];
  /** Handler invocations and their simulated duration (ms) over all runs. */
  invocations = 0;
  handlerMs = 0;
  private engine: Engine;

  constructor(private readonly synth: Synthesized, private readonly clock: VirtualClock, private readonly invocationOverheadMs = 0) {
    this.engine = new Engine(synth.config);
  }

  /** Runs an execution and the executions it continues as, to the end of the chain. */
  async run(input: unknown, name = `run-${this.executions.length + 1}`, options: RunOptions = {}): Promise<Execution[]> {
    const chain: Execution[] = [];
    let next: { name: string; input: unknown } | undefined = { name, input };
    while (next) {
      const e = await this.execute(next.name, next.input, options);
      chain.push(e);
      next = e.output?.status === 'CONTINUE' && e.status === 'SUCCEEDED'
        ? { name: e.output.continuation!, input: { state: e.output.state } }
        : undefined;
    }
    return chain;
  }

  private async execute(name: string, input: unknown, options: RunOptions): Promise<Execution> {
    const exec: Execution = { name, status: 'SUCCEEDED', transitions: 0, historyEvents: 2, invocations: 0 };
    this.executions.push(exec);
    const started = this.clock.now;
    const machine = localStateMachine(this.synth.definition);
    let retryCount = 0;
    let lastResult: TurnResult | undefined;
    let timedOut = false;
    let abort = () => {};
    const execution = machine.run(input as any, {
      noThrowOnAbort: true,
      ...runOptions(name, async (parameters: any) => {
        // Lambda receives a serialized copy of its input.
        const payload = JSON.parse(JSON.stringify(parameters));
        // The Wait state before this turn lasted waitSeconds; a retry waited its interval.
        if (retryCount > 0) this.clock.now += 5_000 * retryCount;
        else if (payload.input?.status === 'WAIT') this.clock.now += payload.input.waitSeconds * 1000;
        if (this.clock.now - started > this.synth.timeoutSeconds * 1000) {
          timedOut = true;
          abort();
          throw new Error('States.Timeout');
        }
        this.invocations += 1;
        exec.invocations += 1;
        exec.historyEvents += 3;
        const t0 = this.clock.now;
        try {
          if (options.crashOn?.includes(this.invocations)) throw new Error('simulated crash of the handler');
          if (options.hangOn?.includes(this.invocations)) {
            this.clock.now += options.hangMs ?? 0;
            throw Object.assign(new Error('Task timed out'), { name: 'Sandbox.Timedout' });
          }
          const executionStart = new Date(started).toISOString(); // the interpreter's is wall-clock time
          const remainingMs = () => this.synth.lambdaTimeoutSeconds * 1000 - (this.clock.now - t0);
          lastResult = await this.engine.turn({ ...payload, retryCount, executionStart }, { remainingMs });
          retryCount = 0;
          return lastResult;
        } catch (e) {
          retryCount += 1;
          throw e;
        } finally {
          this.clock.now += this.invocationOverheadMs;
          this.handlerMs += this.clock.now - t0;
        }
      }),
    });
    abort = execution.abort;
    const counting = (async () => {
      for await (const ev of execution.eventLogs) {
        if (ev.type === 'StateEntered') {
          exec.transitions += 1;
          exec.historyEvents += 1;
        } else if (ev.type === 'StateExited' || ev.type === 'StateRetried') {
          exec.historyEvents += 1;
        }
      }
    })();
    try {
      await execution.result;
    } catch (e: any) {
      exec.status = 'FAILED';
      exec.error = e.cause?.name ?? e.name;
      exec.cause = e.cause?.message ?? e.message;
    }
    await counting;
    exec.output = lastResult;
    if (timedOut) exec.status = 'TIMED_OUT';
    return exec;
  }
}
