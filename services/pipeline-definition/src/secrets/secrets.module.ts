import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { SecretsController } from './secrets.controller';
import { SecretsHandler } from './secrets.handler';
import { SecretsRepository } from './secrets.repository';

/** The per-team secret store: SecretService (docs/security.md "Secrets"). */
@Module({
  imports: [IdentityModule],
  controllers: [SecretsController],
  providers: [SecretsHandler, SecretsRepository],
})
export class SecretsModule {}
