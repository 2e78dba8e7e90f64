// Generated modules of pipewright.notification.v1 (libs/contracts/src/gen, from proto/pipewright/notification/v1).
export * from '../gen/pipewright/notification/v1/notification_rule';
export * from '../gen/pipewright/notification/v1/notification_service';
