import { runMain } from '@tessera/service-kit';
import { runSubgraph } from '@tessera/subgraph-kit';
import { loadConfig, usersSubgraph } from './index.js';

runMain(() => runSubgraph(usersSubgraph, loadConfig()));
