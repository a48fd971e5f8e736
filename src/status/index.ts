/** Public API of the status side: the HTTP server, the metrics and readiness. */
export { startStatusServer, parseHostPort, isLoopback, bearerMatches, PROMETHEUS_CONTENT_TYPE, SECURITY_HEADERS, STATUS_CSP, DEFAULT_STATUS_HOST } from './status-server.js';
export type { StatusServer, StatusServerOptions } from './status-server.js';
export { createMetrics, observeRun, RUN_DURATION_BUCKETS_SECONDS } from './metrics.js';
export type { CadenceMetrics, RunObservation } from './metrics.js';
export { assessReadiness } from './readiness.js';
export type { Readiness, RunHistory } from './readiness.js';
