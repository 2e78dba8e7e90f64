import { Module } from '@nestjs/common';
import { LocalAccessDecider } from './access-decider';
import { IdentityController } from './identity.controller';
import { IdentityRepository } from './identity.repository';

/** Identity and access: IdentityService, and the decider the auth guard of this process asks. */
@Module({
  controllers: [IdentityController],
  providers: [IdentityRepository, LocalAccessDecider],
  exports: [IdentityRepository, LocalAccessDecider],
})
export class IdentityModule {}
