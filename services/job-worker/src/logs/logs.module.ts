import { Module } from '@nestjs/common';
import { JobLogsController } from './job-logs.controller';
import { JobLogStore } from './job-log-store';

@Module({
  controllers: [JobLogsController],
  providers: [JobLogStore],
  exports: [JobLogStore],
})
export class LogsModule {}
