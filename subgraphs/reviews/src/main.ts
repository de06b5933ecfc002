import { runMain, startSubgraph } from '@tessera/service-kit';
import { loadConfig, reviewsSubgraph } from './index.js';

runMain(() => startSubgraph(reviewsSubgraph, loadConfig()));
