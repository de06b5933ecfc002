import { runMain, startSubgraph } from '@tessera/service-kit';
import { loadConfig, usersSubgraph } from './index.js';

runMain(() => startSubgraph(usersSubgraph, loadConfig()));
