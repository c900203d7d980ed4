import { z } from 'zod';

/**
 * Reads one zod model from the environment, collecting every problem before failing, so a
 * misconfigured service says everything that is wrong at once. Nothing else reads process.env.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Variables every service shares. */
export const commonEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Development secret for user tokens; refused in production. */
export const DEV_JWT_SECRET = 'trellis-development-secret-do-not-use-in-production';
