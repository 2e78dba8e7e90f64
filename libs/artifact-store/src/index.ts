export * from './blob-store';
export * from './errors';
export type { EncryptionOptions } from './blob-codec';
export { FileBlobStore, type FileBlobStoreOptions } from './file-blob-store';
export { S3BlobStore, MIN_PART_BYTES, type S3BlobStoreOptions } from './s3-blob-store';
export { encryptStream, decryptStream, FRAME_BYTES } from './encryption';
export * from './garbage-collection';
export { packDirectory } from './pack-directory';
export { extractArchive, type ExtractReport } from './extract-archive';
