import { useApi } from '../support';
import { walkMatrix } from '../support/matrix';

/** The authorization matrix (test/support/matrix.ts) on this file's database, in process. */
walkMatrix(useApi({ inProcess: true }));
