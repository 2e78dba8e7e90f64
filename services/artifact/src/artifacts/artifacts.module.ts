import { Logger, Module, OnModuleInit } from '@nestjs/common';
import { provideResourceLookup } from '@pipewright/service-kit';
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
export class ArtifactsModule implements OnModuleInit {
  constructor(private readonly handler: ArtifactsHandler) {}

  /** Artifact requests name an id or an execution: the guard asks which pipeline it belongs to. */
  onModuleInit(): void {
    provideResourceLookup('ArtifactService', async (method, request) => {
      const pipeline = await this.handler.pipelineOf(method, request as { artifactId?: string; pipelineExecutionId?: string });
      return pipeline ? { pipeline } : {};
    });
  }
}
