import { Logger, Module } from '@nestjs/common';
import { FileBlobStore } from '@pipewright/artifact-store';
import { ARTIFACT_REPOSITORY, PostgresArtifactRepository } from './artifact-repository';
import { ArtifactsController } from './artifacts.controller';
import { ArtifactsHandler, BLOB_STORE } from './artifacts.handler';
import { artifactStorageConfig } from './storage-config';

const blobStore = {
  provide: BLOB_STORE,
  useFactory: async () => {
    const config = artifactStorageConfig();
    new Logger('artifacts').log(`blobs under ${config.root}${config.encryptionKey ? ', encrypted at rest' : ''}`);
    return FileBlobStore.open(config);
  },
};

@Module({
  controllers: [ArtifactsController],
  providers: [ArtifactsHandler, PostgresArtifactRepository, { provide: ARTIFACT_REPOSITORY, useExisting: PostgresArtifactRepository }, blobStore],
})
export class ArtifactsModule {}
