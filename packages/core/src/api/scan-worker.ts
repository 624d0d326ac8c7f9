/** Worker-thread entry for `scanSources`: scans its share of the files and posts the resolved edges. */
import { parentPort, workerData } from 'node:worker_threads';
import { scanFiles, type ScanJob } from './scan-sources.js';

const { job, next } = workerData as { job: ScanJob; next: Int32Array };
parentPort!.postMessage(scanFiles(job, next));
