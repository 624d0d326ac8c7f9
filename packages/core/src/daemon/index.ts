/**
 * daemon: one long-lived process per workspace that keeps the engine warm and its answers in
 * memory, current by the watcher (`watcher/`), and proves them current before each answer. This
 * face is the client's (light: the CLI loads it on every routed command); the server is
 * `daemon/server.ts`, wired to the operations by `api/daemon-serve.ts`. Edge: sockets, files.
 */
export { askDaemon, type Asked, type AskOptions } from './client.js';
export { readDaemonRecord, socketPathFor, RECORD_FILE, type DaemonRecord } from './paths.js';
export { decode, encode, otherBuild, PROTOCOL_VERSION, type AnswerSource, type DaemonPing, type DaemonRequest, type DaemonResponse, type DaemonStatus } from './protocol.js';
export { subscribeToDaemon, type Subscription, type SubscribeOptions } from './subscribe.js';
