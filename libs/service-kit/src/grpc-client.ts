import { loadPackageDefinition, Metadata, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions, ServiceName as ContractServiceName } from '@pipewright/contracts';
import { serviceMetadata } from './service-credentials';
import { ClientChannel, clientChannel } from './tls';

type Callback = (error: ServiceError | null, response: unknown) => void;
type DynamicClient = Record<string, (request: unknown, metadata: Metadata, options: { deadline: number }, callback: Callback) => unknown> & {
  close(): void;
  waitForReady(deadline: number, callback: (error?: Error) => void): void;
};

const RECEIVE_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * A promise-based client of one Pipewright service for tools, the CLI and tests: `call('CreatePipeline', request)`.
 * Messages are plain objects in the proto-loader shape the generated types describe.
 */
export class GrpcClient {
  private readonly client: DynamicClient;

  constructor(
    readonly service: ContractServiceName,
    readonly address: string,
    private readonly defaultDeadlineMs = 30_000,
    /** Per-call metadata; by default this process's own service identity, if it has one (docs/security.md). */
    private readonly metadata: () => Metadata = serviceMetadata,
    /** Plaintext, or mutual TLS when PIPEWRIGHT_TLS_* are set (docs/security.md). */
    channel: ClientChannel = clientChannel(),
  ) {
    const proto = protoFiles[service];
    const definition = loadSync(proto.protoPath.map((p) => p), protoLoaderOptions);
    let node: any = loadPackageDefinition(definition);
    for (const part of `${proto.package}.${proto.service}`.split('.')) node = node[part];
    this.client = new node(address, channel.credentials, {
      ...channel.options,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // HTTP/2's default 64 KiB receive window stalls a streamed download every 64 KiB for a
      // WINDOW_UPDATE round trip; 16 MiB lets a sender keep 16 chunks of 1 MiB in flight.
      'grpc-node.flow_control_window': RECEIVE_WINDOW_BYTES,
    });
  }

  call<Res = any>(method: string, request: unknown, deadlineMs = this.defaultDeadlineMs): Promise<Res> {
    const fn = this.client[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`${this.service} has no method ${method}`));
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, this.metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response as Res)));
    });
  }

  /** The underlying stub, for streaming calls. */
  get stub(): DynamicClient {
    return this.client;
  }

  close(): void {
    this.client.close();
  }
}
