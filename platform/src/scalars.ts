import { DateTimeResolver, DateResolver, JSONObjectResolver } from 'graphql-scalars';

/** Scalars shared by every subgraph (declare them in each schema.graphql that uses them). */
export const scalarResolvers = { DateTime: DateTimeResolver, Date: DateResolver, JSONObject: JSONObjectResolver };
