import { runMain, startSubgraph } from '@tessera/service-kit';
import { loadConfig, productsSubgraph } from './index.js';

runMain(() => startSubgraph(productsSubgraph, loadConfig()));
