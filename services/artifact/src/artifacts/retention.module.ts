import { Module } from '@nestjs/common';
import { artifactRetentionConfig } from './retention-config';
import { PostgresRetentionRepository, RETENTION_REPOSITORY } from './retention-repository';
import { RetentionScheduler } from './retention.scheduler';
import { RETENTION_BLOB_STORE, RETENTION_CONFIG_TOKEN } from './retention.tokens';
import { artifactStorageConfig, openBlobStore } from './storage-config';

/**
 * Periodic retention and blob garbage collection. It opens the blob store on the same root or bucket as
 * ArtifactsModule (the store keeps no state in memory, so two handles on one location agree); a bad
 * setting stops the service at start.
 */
@Module({
  providers: [
    { provide: RETENTION_CONFIG_TOKEN, useFactory: () => artifactRetentionConfig() },
    { provide: RETENTION_BLOB_STORE, useFactory: () => openBlobStore(artifactStorageConfig()) },
    PostgresRetentionRepository,
    { provide: RETENTION_REPOSITORY, useExisting: PostgresRetentionRepository },
    RetentionScheduler,
  ],
})
export class RetentionModule {}
