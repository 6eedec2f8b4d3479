// Bench server: the real gateway (serveGateway) in its own process, so the load generator does not share its CPU
// time with the server's event loop. Prints `{"url": ...}` on stdout when listening.
import { loadConfig } from '../../src/config.ts';
import { serveGateway } from '../../src/serve.ts';

const served = await serveGateway(loadConfig(process.env, { port: 0 }), { print: () => {} });
console.log(JSON.stringify({ url: served.url, pid: process.pid }));
const stop = async () => {
  await served.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
