import { Module } from '@nestjs/common';
import { artifactRetentionConfig } from './retention-config';
import { PostgresRetentionRepository, RETENTION_REPOSITORY } from './retention-repository';
import { RetentionScheduler } from './retention.scheduler';
import { RESEAL_ON_START, RETENTION_BLOB_STORE, RETENTION_CONFIG_TOKEN } from './retention.tokens';
import { ResealRunner } from './reseal.runner';
import { artifactResealOnStart, artifactStorageConfig, openBlobStore } from './storage-config';

/**
 * Periodic retention and blob garbage collection, and resealing blobs after a key rotation. It opens
 * the blob store on the same root or bucket as ArtifactsModule (the store keeps no state in memory,
 * so two handles on one location agree); a bad setting stops the service at start.
 */
@Module({
  providers: [
    { provide: RETENTION_CONFIG_TOKEN, useFactory: () => artifactRetentionConfig() },
    { provide: RETENTION_BLOB_STORE, useFactory: () => openBlobStore(artifactStorageConfig()) },
    PostgresRetentionRepository,
    { provide: RETENTION_REPOSITORY, useExisting: PostgresRetentionRepository },
    RetentionScheduler,
    { provide: RESEAL_ON_START, useFactory: () => artifactResealOnStart() },
    ResealRunner,
  ],
})
export class RetentionModule {}
