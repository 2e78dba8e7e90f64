export const RETENTION_CONFIG_TOKEN = Symbol('RetentionConfig');
export const RETENTION_BLOB_STORE = Symbol('RetentionBlobStore');
export const RESEAL_ON_START = Symbol('ResealOnStart');
