/**
 * One timer for a whole fleet: tasks go into a binary heap by due time and a single interval runs
 * whatever is due. Hundreds of drivers sending a fix every second cost one timer, not hundreds,
 * and stopping the fleet clears everything at once. How late tasks run (the lag) tells when the
 * simulator itself, not the server, has become the bottleneck.
 */
export interface TaskHandle {
  cancel(): void;
}

interface Task {
  due: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

export class Scheduler {
  private heap: Task[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Lateness samples (ms) of recently run tasks, for the live lag figure. */
  private lagSamples: number[] = [];
  private lagCursor = 0;
  /** Lateness of every task run, in 1 ms buckets (the last one: 2 s or more), for the run's figure. */
  private readonly lagHistogram = new Uint32Array(2001);
  /** Tasks that ran more than `lateMs` late. */
  lateTasks = 0;
  lateMs = 500;
  tasksRun = 0;

  constructor(private readonly resolutionMs = 20, private readonly now: () => number = Date.now) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.runDue(), this.resolutionMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const task of this.heap) task.cancelled = true;
    this.heap = [];
  }

  get size(): number {
    return this.heap.length;
  }

  at(due: number, run: () => void): TaskHandle {
    const task: Task = { due, seq: (this.seq += 1), run, cancelled: false };
    this.push(task);
    return { cancel: () => (task.cancelled = true) };
  }

  after(delayMs: number, run: () => void): TaskHandle {
    return this.at(this.now() + Math.max(0, delayMs), run);
  }

  /** Forgets the lateness seen so far (the fleet measures its running phase, not the log-in rush). */
  resetLag(): void {
    this.lagHistogram.fill(0);
    this.lateTasks = 0;
  }

  /** Percentile (0-1) of how late every task since the last reset was, ms. */
  lagPercentileMs(q: number): number {
    const total = this.lagHistogram.reduce((sum, n) => sum + n, 0);
    if (total === 0) return 0;
    let seen = 0;
    for (let ms = 0; ms < this.lagHistogram.length; ms += 1) {
      seen += this.lagHistogram[ms]!;
      if (seen >= q * total) return ms;
    }
    return this.lagHistogram.length - 1;
  }

  /** p95 of how late tasks ran recently (the last 2000 tasks), ms. */
  lagP95Ms(): number {
    if (this.lagSamples.length === 0) return 0;
    const sorted = [...this.lagSamples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
  }

  /** Runs every task due by now (exposed for tests). */
  runDue(): void {
    const now = this.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) {
      const task = this.pop()!;
      if (task.cancelled) continue;
      this.recordLag(now - task.due);
      this.tasksRun += 1;
      try {
        task.run();
      } catch (error) {
        // A task's failure must not stop the fleet's clock.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private recordLag(lag: number): void {
    this.lagHistogram[Math.min(this.lagHistogram.length - 1, Math.max(0, Math.round(lag)))]! += 1;
    if (lag > this.lateMs) this.lateTasks += 1;
    if (this.lagSamples.length < 2000) this.lagSamples.push(lag);
    else {
      this.lagSamples[this.lagCursor] = lag;
      this.lagCursor = (this.lagCursor + 1) % 2000;
    }
  }

  private less(a: Task, b: Task): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(task: Task): void {
    const heap = this.heap;
    heap.push(task);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Task | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && this.less(heap[l]!, heap[smallest]!)) smallest = l;
        if (r < heap.length && this.less(heap[r]!, heap[smallest]!)) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
