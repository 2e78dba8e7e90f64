// Run by register.spec.ts through the loader: prints what NestJS relies on, then throws from a known line.
import 'reflect-metadata';

const Injectable = (): ClassDecorator => () => undefined;

class Clock {}

@Injectable()
class Scheduler {
  constructor(readonly clock: Clock) {}
}

const paramTypes = Reflect.getMetadata('design:paramtypes', Scheduler) as unknown[];
process.stdout.write(`${JSON.stringify({ paramTypes: paramTypes.map((t) => (t as { name: string }).name), field: new Scheduler(new Clock()).clock instanceof Clock })}\n`);
throw new Error('thrown on line 15');
