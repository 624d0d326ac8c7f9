/** Worker-thread entry for `scanSources`: scans its share of the files and posts the resolved edges. */
import { parentPort, workerData } from 'node:worker_threads';
import { scanFiles, type ScanJob } from './scan-sources.js';

parentPort!.postMessage(scanFiles(workerData as ScanJob));
