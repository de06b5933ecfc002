import { runMain } from '@tessera/service-kit';
import { runSubgraph } from '@tessera/subgraph-kit';
import { loadConfig, productsSubgraph } from './index.js';

runMain(() => runSubgraph(productsSubgraph, loadConfig()));
