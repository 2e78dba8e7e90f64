import { Module } from '@nestjs/common';
import { ActionTypesController } from './action-types.controller';
import { ActionTypesRepository } from './action-types.repository';

@Module({ controllers: [ActionTypesController], providers: [ActionTypesRepository], exports: [ActionTypesRepository] })
export class ActionTypesModule {}
