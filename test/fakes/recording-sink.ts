import type { DeviceInfo, Reading } from '../../src/reading.js';
import type { Sink } from '../../src/sinks/sink.js';

/** A sink that keeps everything it is given, for assertions. */
export class RecordingSink implements Sink {
  readonly name = 'recording';
  readonly readings: Reading[] = [];
  readonly availability_: { name: string; online: boolean }[] = [];
  started = 0;
  stopped = 0;

  async start(): Promise<void> {
    this.started++;
  }
  write(reading: Reading): void {
    this.readings.push(reading);
  }
  availability(device: DeviceInfo, online: boolean): void {
    this.availability_.push({ name: device.name, online });
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
}
