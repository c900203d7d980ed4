import type { ApolloServerPlugin } from '@apollo/server';
import { transactionOpening } from '../db/orm.ts';
import { sessionSettingsSql, type SubgraphContext } from './context.ts';

/**
 * One transaction per GraphQL request. Queries run READ ONLY; a mutation that raises any
 * error rolls back entirely, so a failed request never leaves half-written state. The
 * tenant/scope session variables are applied with BEGIN (set_config(..., true)), so they can
 * never leak to the next user of a pooled connection.
 */
export function transactionPlugin(): ApolloServerPlugin<SubgraphContext> {
  return {
    async requestDidStart() {
      let isMutation = false;
      return {
        async didResolveOperation({ contextValue, operation }) {
          isMutation = operation?.operation === 'mutation';
          // The session settings go with BEGIN in one round trip (not as the ORM's own second
          // statement); the request's EntityManager keeps them for anything it forks.
          const opening = { sql: sessionSettingsSql(contextValue.principal), sent: false };
          await transactionOpening.run(opening, () => contextValue.em.begin({ readOnly: !isMutation, sessionContext: undefined } as Parameters<typeof contextValue.em.begin>[0]));
          contextValue.tx.open = true;
          if (!opening.sent) await contextValue.em.execute(opening.sql);
        },
        async willSendResponse({ contextValue, response }) {
          if (!contextValue.tx.open) return;
          contextValue.tx.open = false;
          const body = response.body;
          const failed = body.kind === 'single' && (body.singleResult.errors?.length ?? 0) > 0;
          // A read-only transaction has nothing to keep: ending it with ROLLBACK skips the flush
          // (a change-set pass over every entity the request loaded) that commit runs first.
          if (!isMutation || failed) {
            await contextValue.em.rollback();
            return;
          }
          try {
            await contextValue.em.commit();
          } catch (err) {
            contextValue.log.error({ err }, 'commit failed');
            await contextValue.em.rollback().catch(() => {});
            if (body.kind === 'single') {
              body.singleResult.data = null;
              body.singleResult.errors = [{ message: 'The change could not be saved; nothing was written. Retry.', extensions: { code: 'CONFLICT' } }];
            }
          }
        },
      };
    },
  };
}
