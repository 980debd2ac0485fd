/**
 * The fallback broker when `mosquitto` is not installed: the project's embedded aedes broker, in
 * a process of its own so its CPU is not counted against anyone. Reports its port over IPC.
 */
import { startEmbeddedBroker } from '../src/demo/broker.js';

const broker = await startEmbeddedBroker(0);
process.send?.({ type: 'ready', port: broker.port });
process.on('disconnect', () => void broker.stop().then(() => process.exit(0)));
