import { Logger, Module } from '@nestjs/common';
import { ARTIFACT_REPOSITORY, PostgresArtifactRepository } from './artifact-repository';
import { ArtifactsController } from './artifacts.controller';
import { ArtifactsHandler, BLOB_STORE } from './artifacts.handler';
import { artifactStorageConfig, describeStorage, openBlobStore } from './storage-config';

const blobStore = {
  provide: BLOB_STORE,
  useFactory: async () => {
    const config = artifactStorageConfig();
    new Logger('artifacts').log(describeStorage(config));
    return openBlobStore(config);
  },
};

@Module({
  controllers: [ArtifactsController],
  providers: [ArtifactsHandler, PostgresArtifactRepository, { provide: ARTIFACT_REPOSITORY, useExisting: PostgresArtifactRepository }, blobStore],
})
export class ArtifactsModule {}
