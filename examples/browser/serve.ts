/**
 * Serves the browser example on localhost: index.html and the bundled
 * app.js. Run directly, it also starts the daemon simulator with a
 * WebSocket listener (or uses your daemon's) and prints the page's address:
 *
 *   npx tsx examples/browser/serve.ts [--port 8080] [--daemon ws://127.0.0.1:64332]
 *
 * The end-to-end test (spec/browser/ui.e2e.spec.ts) uses `serveExample`.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

/** A running example server. */
export interface ExampleServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves examples/browser/index.html at `/` and `script` (the bundled
 * page) at `/app.js` on 127.0.0.1; everything else is a 404.
 *
 * @example
 * const server = await serveExample((await buildExamplePage()).code);
 * // open `${server.url}?daemon=${encodeURIComponent(sim.address)}`
 */
export async function serveExample(script: string, port = 0): Promise<ExampleServer> {
  const html = await readFile(join(here, 'index.html'));
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const body = path === '/' || path === '/index.html' ? html : path === '/app.js' ? script : undefined;
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = path === '/app.js' ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8';
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, daemon: { type: 'string' } } });
  // Imported here, not at the top, so that the test importing serveExample loads neither.
  const { buildExamplePage } = await import('../../scripts/browser-bundle.js');
  const { startSimulator } = await import('katzenpost-rx/sim');
  const sim = values.daemon ? null : await startSimulator({ listen: { ws: 'ws://127.0.0.1:64332' }, timeScale: 0.01 });
  const daemon = values.daemon ?? sim!.address;
  const server = await serveExample((await buildExamplePage()).code, Number(values.port ?? 8080));
  console.log(`daemon ${sim ? 'simulator ' : ''}at ${daemon}`);
  console.log(`open ${server.url}?daemon=${encodeURIComponent(daemon)}   (Ctrl-C to stop)`);
  process.once('SIGINT', () => {
    void Promise.all([server.close(), sim?.close()]).then(() => process.exit(0));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
