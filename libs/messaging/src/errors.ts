/**
 * A Kafka message that cannot be read as a Pipewright CloudEvent. Retrying cannot fix it, so a
 * consumer sends it to the dead-letter topic at once; handlers may throw it for the same effect
 * (e.g. data that does not decode as the expected protobuf message).
 */
export class MalformedMessage extends Error {
  override readonly name = 'MalformedMessage';
  constructor(readonly reason: string) {
    super(`malformed message: ${reason}`);
  }
}

/** Kafka did not answer before the connection deadline. */
export class KafkaUnreachable extends Error {
  override readonly name = 'KafkaUnreachable';
  constructor(
    readonly brokers: string[],
    readonly attempts: number,
    readonly lastError: string,
  ) {
    super(`Kafka unreachable at ${brokers.join(',')} after ${attempts} attempt(s): ${lastError}`);
  }
}

/** The messaging client was used before start() or after close(). */
export class MessagingNotRunning extends Error {
  override readonly name = 'MessagingNotRunning';
}
