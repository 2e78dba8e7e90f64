import './otel';
import { runService } from '@pipewright/service-kit';
import { NotificationModule } from './notification.module';

runService({ name: 'notification', module: NotificationModule, serves: ['NotificationService'] }).catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'notification', msg: 'failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
