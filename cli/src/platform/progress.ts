/**
 * Progress of a long start-up, drawn by listr2 on stderr: a live task list on a terminal, plain
 * lines otherwise (a log file, CI). The work runs elsewhere (startStack); it reports each phase's
 * start and end here, and the list follows. Nothing is drawn until the first phase starts, so a
 * refusal before any work (a port in use) stays one line.
 */
import type { ListrTaskWrapper } from 'listr2';
import { streamHasColor } from '../output.js';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
  settled: boolean;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a phase that never ran may be rejected without anyone awaiting it
  const d: Deferred = {
    promise,
    resolve: () => {
      d.settled = true;
      resolve();
    },
    reject: (error) => {
      d.settled = true;
      reject(error);
    },
    settled: false,
  };
  return d;
}

export interface PhaseProgress<P extends string> {
  start(phase: P): void;
  end(phase: P): void;
  /** A line about the phase under way (shown under it). */
  note(line: string): void;
  /** Marks the phase under way (and the rest) failed; resolves once the list has drawn it. */
  fail(error: unknown): Promise<void>;
  /** Resolves once the list has drawn every phase done. */
  finished(): Promise<void>;
}

/** `phases`: each phase's name and title, in the order the work runs them. */
export function phaseProgress<P extends string>(phases: readonly (readonly [P, string])[]): PhaseProgress<P> {
  const done = new Map(phases.map(([name]) => [name, deferred()]));
  // Notes go to the phase the work is in, which listr2 may not have reached yet (it moves on a tick later).
  const tasks = new Map<P, ListrTaskWrapper<unknown, never, never>>();
  const lastNote = new Map<P, string>();
  let currentPhase: P | undefined;
  let running: Promise<void> | undefined;
  const begin = () => {
    running ??= draw();
  };
  // listr2 is loaded when a start is first drawn: commands that draw none start without it
  const draw = async () => {
    const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
    const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr), useIcons: streamHasColor(process.stderr) });
    await new Listr(
      phases.map(([name, title]) => ({
        title,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          tasks.set(name, task);
          const note = lastNote.get(name);
          if (note !== undefined) task.output = note;
          await done.get(name)!.promise;
        },
      })),
      {
        // decided by stderr, where it draws (listr2 also falls back to plain lines when stdout,
        // which may be a file of data, is not a terminal; both renderers draw on stderr)
        renderer: process.stderr.isTTY ? 'default' : 'simple',
        fallbackRendererCondition: !process.stderr.isTTY,
        fallbackRenderer: 'simple',
        registerSignalListeners: false,
        exitOnError: true,
        rendererOptions: { logger },
        fallbackRendererOptions: { logger },
      } as never,
    )
      .run()
      .catch(() => undefined); // a failed phase is reported by the caller, once
  };
  return {
    start: (phase) => {
      currentPhase = phase;
      begin();
    },
    end: (phase) => done.get(phase)?.resolve(),
    note: (line) => {
      if (currentPhase === undefined) return;
      lastNote.set(currentPhase, line);
      const task = tasks.get(currentPhase);
      if (task) task.output = line;
    },
    fail: async (error) => {
      if (!running) return;
      for (const d of done.values()) if (!d.settled) d.reject(error);
      await running;
    },
    finished: async () => {
      await running;
    },
  };
}
