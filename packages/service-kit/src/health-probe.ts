/**
 * `node node_modules/@tessera/service-kit/dist/health-probe.js <port | PORT_VARIABLE> [path]`:
 * exits 0 when `http://127.0.0.1:<port><path>` (default `/health`) answers 200 within 2 s, and 1
 * otherwise. The images' HEALTHCHECK and the probes of `podman kube play` run it, which is why:
 * node:http rather than `fetch` (which refuses some ports: 6000, 6665–6669 …); its own timeout
 * (an engine may not enforce the HEALTHCHECK's on a hung service — podman took 5 minutes); and no
 * space in its command line (podman 4's kube play splits a probe's command on spaces).
 */
import { get } from 'node:http';

const [target = '', path = '/health'] = process.argv.slice(2);
const port = Number(/^\d+$/.test(target) ? target : process.env[target]);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  console.error(`health-probe: no port in ${JSON.stringify(target)}`);
  process.exit(1);
}
get({ host: '127.0.0.1', port, path, timeout: 2_000 }, (response) => process.exit(response.statusCode === 200 ? 0 : 1))
  .on('timeout', () => process.exit(1))
  .on('error', () => process.exit(1));
