import { runMain } from '@tessera/service-kit';
import { runSubgraph } from '@tessera/subgraph-kit';
import { loadConfig, reviewsSubgraph } from './index.js';

runMain(() => runSubgraph(reviewsSubgraph, loadConfig()));
