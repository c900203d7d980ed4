import cliProgress from 'cli-progress';

/** A progress bar with rows per second, or plain lines when stdout is not a terminal (CI, tests). */
export interface Progress { start(phase: string, total: number): void; tick(rows: number): void; stop(): void }

export function createProgress(enabled: boolean): Progress {
  if (!enabled) return { start: () => {}, tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({
    format: '{phase} |{bar}| {percentage}% | {value}/{total} rows | {rate} rows/s | {duration_formatted}',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  let started = 0;
  let value = 0;
  let running = false;
  const rate = () => Math.round(value / Math.max(0.001, (performance.now() - started) / 1000)).toLocaleString('en');
  return {
    start(phase, total) {
      if (running) bar.stop();
      started = performance.now();
      value = 0;
      running = true;
      bar.start(total, 0, { phase: phase.padEnd(28), rate: '0' });
    },
    tick(rows) {
      value += rows;
      bar.update(value, { rate: rate() });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
