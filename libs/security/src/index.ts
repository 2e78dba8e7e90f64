// Pipewright's security model: identities, bearer token verification (JWTs from a configured
// issuer, Pipewright-issued API tokens), the role and permission table, and the operation catalog.
export * from './identity';
export * from './jwt';
export * from './api-token';
export * from './job-token';
export * from './policy';
export * from './operation-catalog';
export * from './config';
