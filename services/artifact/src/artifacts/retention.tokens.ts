export const RETENTION_CONFIG_TOKEN = Symbol('RetentionConfig');
export const RETENTION_BLOB_STORE = Symbol('RetentionBlobStore');
