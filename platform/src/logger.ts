import { pino, type Logger } from 'pino';

export type { Logger };

/** One root logger per process; components take children (`logger.child({ component })`). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}
