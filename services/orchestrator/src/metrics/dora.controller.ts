import { InvalidRequest } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { dateFromTimestamp, executionV1, Timestamp, timestampFromDate } from '@pipewright/contracts';
import { DoraHandler, doraWindow } from './dora.handler';

function instant(value: Timestamp | undefined, path: string): Date | undefined {
  if (!value) return undefined;
  const date = dateFromTimestamp(value);
  if (Number.isNaN(date.getTime()) || date.getTime() <= 0) throw InvalidRequest.at(path, `${path} must be a time after 1970-01-01`);
  return date;
}

/** gRPC adapter of ExecutionService.GetDoraMetrics. */
@Controller()
export class DoraController {
  constructor(private readonly handler: DoraHandler) {}

  @GrpcMethod('ExecutionService')
  async getDoraMetrics(request: executionV1.GetDoraMetricsRequest): Promise<executionV1.GetDoraMetricsResponse> {
    const pipelineName = request.pipelineName;
    if (!pipelineName) throw InvalidRequest.at('pipeline_name', 'pipeline_name is required');
    const window = doraWindow(instant(request.startTime, 'start_time'), instant(request.endTime, 'end_time'), new Date());
    if (Date.parse(window.start) >= Date.parse(window.end)) throw InvalidRequest.at('start_time', 'start_time must be before end_time');
    const figures = await this.handler.figures(pipelineName, window);
    return {
      pipelineName,
      startTime: timestampFromDate(new Date(window.start)),
      endTime: timestampFromDate(new Date(window.end)),
      ...figures,
    };
  }
}
